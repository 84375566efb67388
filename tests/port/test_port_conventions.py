"""The model conventions table (``conformance.port.conventions``): a convention is found
where the layers' arguments show it, in either direction, and not where they do not."""
from conformance.port import conventions


def conv(path, ksize, stride):
    return {"kind": "conv2d", "path": path, "config": {"ksize": ksize, "stride": stride}}


def block(prefix, stride_1x1, stride_3x3):
    return [conv(f"{prefix}.conv1", (1, 1), stride_1x1),
            {"kind": "batch_norm", "path": f"{prefix}.bn1", "config": {}},
            conv(f"{prefix}.conv2", (3, 3), stride_3x3)]


def pairs(source_blocks, target_blocks):
    return list(zip(sum(source_blocks, []), sum(target_blocks, [])))


def test_v1_against_v1_5_is_named_with_every_block():
    found = conventions.find(pairs([block("a", (2, 2), (1, 1)), block("b", (1, 1), (1, 1)),
                                    block("c", (2, 2), (1, 1))],
                                   [block("A", (1, 1), (2, 2)), block("B", (1, 1), (1, 1)),
                                    block("C", (1, 1), (2, 2))]))
    (convention,) = found
    assert (convention["name"], convention["source"], convention["target"]) == \
        ("bottleneck_stride_placement", "1x1", "3x3")
    assert convention["blocks"] == [[("a.conv1", "A.conv1"), ("a.conv2", "A.conv2")],
                                    [("c.conv1", "C.conv1"), ("c.conv2", "C.conv2")]]
    assert set(convention["meaning"]) == {"1x1", "3x3"}


def test_v1_5_against_v1_is_the_other_value():
    (convention,) = conventions.find(pairs([block("a", (1, 1), (2, 2))],
                                           [block("A", (2, 2), (1, 1))]))
    assert (convention["source"], convention["target"]) == ("3x3", "1x1")


def test_the_same_placement_or_a_stride_not_moved_is_no_convention():
    assert conventions.find(pairs([block("a", (2, 2), (1, 1))], [block("A", (2, 2), (1, 1))])) == []
    # a stride dropped (not moved to the 3x3 conv) is a wrong argument, not the convention
    assert conventions.find(pairs([block("a", (2, 2), (1, 1))], [block("A", (1, 1), (1, 1))])) == []
