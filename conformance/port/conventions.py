"""Model-architecture conventions: where two implementations of one published architecture
place an operation differently although every op computes what it is told.

These are not refimpl policy fields: a policy field is an op's semantics (what
``max_pooling_2d`` does when ``cover_all`` is not given); a convention is a choice of the
model's author (on which convolution of a block the stride sits), visible only in the layers'
construction arguments. The port checker names a convention where the layers' arguments show
it, so that a diagnosis says "ResNet v1 vs v1.5" instead of "stride (2, 2) vs (1, 1)".

``CONVENTIONS`` is the table (data: name, doc, the values, how they show); ``find(pairs)``
returns the conventions the paired layer calls show. The fix in the ported code comes from
the target framework's port module (``convention_fix``).
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Convention:
    """One architecture convention: its ``name``, the ``values`` it takes (each with what it
    means), and ``doc``: how it shows.

    ``bottleneck_stride_placement``: '1x1' in chainer's ``ResNet50Layers`` (res3a, res4a,
    res5a: branch2a), '3x3' in torchvision's ``resnet50`` (``Bottleneck.conv2`` of layer2.0,
    layer3.0, layer4.0)."""

    name: str
    values: dict
    doc: str


BOTTLENECK_STRIDE_PLACEMENT = Convention(
    name="bottleneck_stride_placement",
    values={"1x1": "the downsampling bottleneck's stride on its first 1x1 convolution (ResNet "
                   "v1, He et al. 2015, as the MSRA Caffe models)",
            "3x3": "the downsampling bottleneck's stride on its 3x3 convolution (ResNet v1.5)"},
    doc="Shows as a 1x1 convolution with stride s > 1 on one side and 1 on the other, followed "
        "in the same block by a 3x3 convolution with 1 and s. Output sizes agree, values do "
        "not: v1 skips 3 of 4 positions before the 3x3 convolution, v1.5 after it.")

CONVENTIONS = (BOTTLENECK_STRIDE_PLACEMENT,)


def _conv(event):
    """(kernel size, stride) of a recorded conv2d unit event, or None."""
    if event is None or event.get("kind") != "conv2d":
        return None
    config = event.get("config", {})
    if "ksize" not in config or "stride" not in config:
        return None
    return tuple(config["ksize"]), tuple(config["stride"])


def bottleneck_stride_placement(pairs):
    """The layers where ``pairs`` ([(source unit event, target unit event)] in call order)
    show the bottleneck stride on different convolutions: [{'source': value, 'target': value,
    'layers': [(source 1x1, target 1x1), (source 3x3, target 3x3)]}]."""
    found = []
    convs = [(i, _conv(s), _conv(t)) for i, (s, t) in enumerate(pairs)]
    convs = [(i, s, t) for i, s, t in convs if s and t]
    for (i, s1, t1), (j, s3, t3) in zip(convs, convs[1:]):
        if not (s1[0] == t1[0] == (1, 1) and s3[0] == t3[0] == (3, 3)):
            continue
        one = (1, 1)
        if s1[1] != one and s3[1] == one and t1[1] == one and t3[1] == s1[1]:
            values = ("1x1", "3x3")
        elif t1[1] != one and t3[1] == one and s1[1] == one and s3[1] == t1[1]:
            values = ("3x3", "1x1")
        else:
            continue
        found.append({"source": values[0], "target": values[1],
                      "layers": [(pairs[i][0]["path"], pairs[i][1]["path"]),
                                 (pairs[j][0]["path"], pairs[j][1]["path"])]})
    return found


_MATCHERS = {BOTTLENECK_STRIDE_PLACEMENT.name: bottleneck_stride_placement}


def find(pairs):
    """[{'name', 'source', 'target', 'doc', 'meaning', 'blocks': [layer pairs...]}]: each
    convention whose values differ somewhere in ``pairs``, with every place it shows."""
    results = []
    for convention in CONVENTIONS:
        hits = _MATCHERS[convention.name](pairs)
        if not hits:
            continue
        source, target = hits[0]["source"], hits[0]["target"]
        results.append({"name": convention.name, "source": source, "target": target,
                        "doc": convention.doc,
                        "meaning": {source: convention.values[source],
                                    target: convention.values[target]},
                        "blocks": [hit["layers"] for hit in hits
                                   if (hit["source"], hit["target"]) == (source, target)]})
    return results
