"""The adapter protocol and how behaviours are observed and compared."""
import functools
import importlib
import platform
import shutil
import subprocess

import numpy


DEVICES = ("cpu", "cuda")


def cpu_model():
    """The CPU's model name (Linux /proc/cpuinfo), or platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def nvidia_smi():
    """{'model', 'driver'} of GPU 0 from ``nvidia-smi`` (the driver's own version, e.g.
    '580.65.06'), or {} where there is no nvidia-smi or it fails."""
    if shutil.which("nvidia-smi") is None:
        return {}
    try:
        text = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version",
                               "--format=csv,noheader"], capture_output=True, text=True,
                              timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    first = text.strip().splitlines()[0] if text.strip() else ""
    name, _, driver = first.rpartition(",")
    return {"model": name.strip(), "driver": driver.strip()} if name else {}


def cuda_version(number):
    """A CUDA version number (CuPy's runtimeGetVersion/driverGetVersion: 1000 major + 10
    minor, e.g. 12040) as text ('12.4'); None stays None."""
    if number is None:
        return None
    return f"{int(number) // 1000}.{int(number) % 1000 // 10}"


def gpu_info(model=None, cuda_runtime=None, cuda_driver=None, **extra):
    """The run header's description of GPU 0: ``model``, ``driver`` (nvidia-smi's driver
    version, else the highest CUDA version the driver supports), the CUDA runtime the
    framework uses and the CUDA version of the driver's API."""
    smi = nvidia_smi()
    info = {"model": smi.get("model") or model,
            "driver": smi.get("driver") or (f"CUDA driver API {cuda_driver}" if cuda_driver
                                            else None),
            "cuda_runtime": cuda_runtime, "cuda_driver": cuda_driver}
    info.update(extra)
    return info


class AdapterUnavailable(RuntimeError):
    """The framework cannot be used here; the message is the reason for skip cells."""


class NotSupported(Exception):
    """The adapter cannot express what a case asks (e.g. refimpl has no layers yet).

    ``observe`` lets it through, so the harness records a skip cell with this reason instead
    of comparing an exception the framework never raised.
    """


class Adapter:
    """What the harness needs from a framework. Arrays in and out are NumPy arrays.

    Attributes: ``plugin`` (the framework's ``Plugin``), ``name`` (its name in cells),
    ``version``, ``semantics`` (the refimpl policy that models it; for refimpl, the policy it
    runs under), ``features`` (the API features its calls take: for refimpl, those of the
    framework its policy models) and ``capabilities``.
    """

    name = "?"
    version = "?"
    semantics = "?"

    def __init__(self, plugin=None):
        self.plugin = plugin  # None in a standalone repro script, which pastes the class
        if plugin is not None:
            self.name = plugin.name

    @property
    def features(self):
        return self.plugin.features if self.plugin is not None else frozenset()

    @property
    def capabilities(self):
        return self.plugin.capabilities if self.plugin is not None else frozenset()

    # --- devices ----------------------------------------------------------------------
    def devices(self):
        """The devices this adapter can use here: 'cpu', plus 'cuda' when there is a GPU."""
        return [device for device in DEVICES if self.device_reason(device) is None]

    def device_reason(self, device):
        """None when ``device`` is usable, else why not (the reason of skip cells)."""
        if device == "cpu":
            return None
        if device not in DEVICES:
            return f"unknown device {device!r}; known: {', '.join(DEVICES)}"
        return f"{self.name} adapter has no {device} support"

    def device_info(self, device):
        """{'model': ..., 'driver': ...} of ``device`` (for the run header); a GPU also
        gives 'cuda_runtime' and 'cuda_driver' (``gpu_info``)."""
        if device == "cpu":
            return {"model": cpu_model(), "driver": None}
        return {"model": None, "driver": None}

    def constant(self, array, device="cpu"):
        """A NumPy array that is an argument but not a differentiated input (an index array,
        a mask, labels, class weights) as the framework takes it on ``device``: the array
        itself on the CPU; on 'cuda' a copy on the GPU (torch tensor, CuPy array), so that
        no framework sees host and device data mixed in one call. Tuples and lists (e.g. an
        index key) are converted element by element; other values pass through."""
        if isinstance(array, tuple):
            return tuple(self.constant(a, device) for a in array)
        if isinstance(array, list):
            return [self.constant(a, device) for a in array]
        if device == "cpu" or not isinstance(array, numpy.ndarray):
            return array
        return self._constant_on_gpu(array)

    def _constant_on_gpu(self, array):
        raise NotSupported(f"{self.name} adapter has no cuda arrays")

    # --- tensors ------------------------------------------------------------------------
    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        """A framework tensor/Variable holding a copy of ``array`` (cast to ``dtype`` when
        given) on ``device``.

        ``requires_grad=None`` passes no ``requires_grad`` at all (the framework's default).
        """
        raise NotImplementedError

    def to_numpy(self, value):
        """A NumPy copy of a tensor's data (no graph)."""
        raise NotImplementedError

    def dtype_of(self, value):
        """The NumPy name of a tensor's dtype ('float32', 'int64', ...)."""
        raise NotImplementedError

    def grad_of(self, value):
        """``value.grad`` as a NumPy array, or None."""
        raise NotImplementedError

    def set_grad(self, value, array):
        """Assign ``value.grad`` (``array`` is a NumPy array or None)."""
        raise NotImplementedError

    def requires_grad(self, value):
        raise NotImplementedError

    def has_graph(self, value):
        """Whether ``value`` was produced by a recorded op (grad_fn / creator)."""
        raise NotImplementedError

    def backward(self, output, gradient=None, **options):
        """``output.backward(...)``; ``options`` keep the framework's own argument names."""
        raise NotImplementedError

    def grad(self, outputs, inputs, grad_outputs=None, **options):
        """The framework's ``grad`` function; returns its own container (tuple or list)."""
        raise NotImplementedError

    def call(self, op, *args, **kwargs):
        """Run the framework's counterpart of refimpl op ``op`` (refimpl's signature; see
        the plugin's ``ops_module``). Raises ``NotSupported`` for an op the framework lacks."""
        return self.op(op)(*args, **kwargs)

    def op(self, name):
        """The framework's counterpart of refimpl op (or op subject) ``name``: a function with
        refimpl's signature, from the plugin's ``ops_module``. Raises ``NotSupported`` with
        the plugin's reason when the framework lacks it."""
        extra = self._extra_ops().get(name)
        if extra is not None:
            return extra
        from .. import subjects
        absent = self.plugin.absent_op(name)
        if absent is not None:
            raise NotSupported(absent)
        function_name = subjects.get(name).op if name in subjects.REGISTRY else name
        module = importlib.import_module(self.plugin.ops_module)
        function = getattr(module, function_name, None)
        if not callable(function):
            raise NotSupported(f"{self.name} adapter has no op {name!r}")
        return function

    def _extra_ops(self):
        """Adapter-level calls that are not refimpl ops ('numpy', 'unchain')."""
        return {}

    def vjp(self, outputs, inputs, grad_outputs, create_graph=False):
        """Vector-Jacobian products: one gradient (framework tensor, or None where an input is
        unused) per input, through the framework's ``grad`` with its own option names."""
        raise NotImplementedError

    def no_grad(self):
        raise NotImplementedError

    def detach(self, value):
        raise NotImplementedError

    def retain_grad(self, value):
        """torch-style per-tensor retain_grad (chainer has none: raises NotImplementedError)."""
        raise NotImplementedError(f"{self.name} has no per-tensor retain_grad")

    # --- engine calls whose form differs between frameworks (behaviour cases, scenarios) ---
    def keep_graph_options(self):
        """Options of ``backward``/``grad`` for a call that will be repeated on the same graph
        (torch ``retain_graph=True``); none where the graph is always kept (chainer)."""
        return {}

    def create_graph_options(self):
        """Options of ``grad`` that give gradients with a graph, for double backprop (torch
        ``create_graph=True``, chainer ``enable_double_backprop=True``)."""
        raise NotSupported(f"{self.name} adapter has no double backprop option")

    def seeded_backward(self, output, gradient, keep_graph=False, reseed=True):
        """backward from ``gradient`` (a NumPy array) as the output's initial gradient, in the
        framework's idiom (torch ``y.backward(gradient)``, chainer ``y.grad = gradient;
        y.backward()``); ``keep_graph``: as ``keep_graph_options``. ``reseed=False``: where the
        output's grad is the seed (chainer), leave it as the previous backward left it; where
        the seed is an argument (torch), it is passed every time (this default)."""
        options = self.keep_graph_options() if keep_graph else {}
        return self.backward(output, gradient=numpy.asarray(gradient), **options)

    def retaining_backward(self, output, intermediates, keep_graph=False):
        """backward that also keeps the grads of the non-leaf ``intermediates``, in the
        framework's idiom (torch ``v.retain_grad()`` on each, then ``y.backward()``; chainer
        ``y.backward(retain_grad=True)``, which keeps every intermediate grad of that call);
        ``keep_graph``: as ``keep_graph_options``."""
        raise NotSupported(f"{self.name} adapter cannot keep intermediate grads")

    def clear_grads(self, values):
        """The framework's idiomatic gradient clearing (torch ``zero_grad()``, chainer
        ``cleargrad()``)."""
        raise NotImplementedError

    def zero_grads(self, values):
        """Clear gradients to zeros (torch ``zero_grad(set_to_none=False)``, chainer
        ``zerograd()``)."""
        raise NotImplementedError

    def linear(self, in_size, out_size):
        """A fresh fully-connected layer: ``(layer, [weight, bias])``; ``layer(x)`` applies it."""
        raise NotSupported(f"{self.name} has no linear layer")

    # --- engine semantics of issue 17: in-place edits, .grad assignment and storage -------
    def add_in_place(self, value, array):
        """Add ``array`` to ``value``'s data in place, outside the graph, in the framework's
        idiom (torch ``with no_grad(): value.add_(t)``, which bumps the version counter;
        chainer ``value.array += array``)."""
        raise NotSupported(f"{self.name} adapter cannot edit a tensor in place")

    def assign_grad(self, value, array):
        """``value.grad = array`` with ``array`` (NumPy) converted to the framework's array
        type on ``value``'s device but not cast (a wrong shape or dtype stays wrong); returns
        the object assigned."""
        raise NotSupported(f"{self.name} adapter cannot assign a raw gradient")

    def grad_handle(self, value):
        """The framework's own ``value.grad`` object (no copy), or None."""
        raise NotSupported(f"{self.name} adapter gives no gradient object")

    def grad_strides(self, value):
        """The strides of ``value.grad`` in elements (a tuple), or None when there is none."""
        raise NotSupported(f"{self.name} adapter gives no gradient strides")

    def enable_grad(self):
        """A context that records graphs again inside ``no_grad()`` (torch ``enable_grad()``,
        chainer ``force_backprop_mode()``)."""
        raise NotSupported(f"{self.name} adapter has no enable_grad")

    def lr_schedule(self, kind, lr, calls, set_lr=None, **hp):
        """The framework's learning-rate schedule ``kind`` (``refimpl.schedules``: arguments in
        torch's names) on an optimizer of initial ``lr``: the lr before the first call and
        after each of ``calls`` calls (``set_lr``: ``(t, value)`` sets it by hand after call
        t), as a list of floats."""
        raise NotSupported(f"{self.name} adapter has no learning-rate schedules")

    def register_scaling_hook(self, value, factor, seen):
        """A gradient hook on ``value`` (torch ``value.register_hook(fn)``) that appends the
        gradient it receives to ``seen`` (NumPy) and returns it times ``factor``; returns the
        handle (``remove()``)."""
        raise NotSupported(f"{self.name} adapter has no tensor gradient hooks")

    def inference_mode(self):
        """A context in which ops record nothing and make inference tensors (torch
        ``inference_mode()``)."""
        raise NotSupported(f"{self.name} adapter has no inference mode")

    def is_inference(self, value):
        """Whether ``value`` is an inference tensor (torch ``value.is_inference()``)."""
        raise NotSupported(f"{self.name} adapter has no inference tensors")

    def adam_steps(self, param, grads, lr, beta1, beta2, eps, weight_decay=0):
        """The framework's idiomatic Adam (torch ``Adam(lr, (beta1, beta2), eps,
        weight_decay)``, chainer ``Adam(alpha=lr, beta1, beta2, eps, weight_decay_rate)``) on
        one parameter starting at ``param`` (NumPy), one step per gradient of ``grads``; the
        parameter after each step (NumPy)."""
        raise NotSupported(f"{self.name} adapter has no Adam")

    def default_optimizer_steps(self, family, param, grads):
        """The framework's optimizer ``family`` ('sgd', 'adagrad', 'adadelta') constructed
        with no hyperparameters, on one parameter from ``param`` (NumPy), one step per
        gradient; the parameter after each step (NumPy)."""
        raise NotSupported(f"{self.name} adapter has no default optimizers")

    def clip_grad_norm(self, grads, max_norm):
        """The framework's idiomatic clipping of the gradients ``grads`` (NumPy) of as many
        parameters to an L2 norm of ``max_norm`` (torch ``clip_grad_norm_``, chainer's
        ``GradientClipping`` hook); the clipped gradients (NumPy)."""
        raise NotSupported(f"{self.name} adapter has no gradient clipping")

    def momentum_sgd_steps(self, param, grads, lrs, momentum):
        """The framework's idiomatic momentum SGD (torch ``SGD(lr, momentum)``, chainer
        ``MomentumSGD``) on one parameter starting at ``param`` (NumPy), one step per
        gradient in ``grads`` (None: the parameter's grad is None at that step) with the lr
        of ``lrs`` set before it; the parameter after each step, as NumPy arrays."""
        raise NotSupported(f"{self.name} adapter has no momentum SGD")


class Plugin:
    """What the harness knows of one framework: the only place that names it.

    A plugin is found through the entry-point group ``conformance.frameworks`` (see
    ``conformance.frameworks.discover``); its entry point names a ``Plugin`` instance. The
    harness never compares a framework's name: it asks the plugin.

    Attributes (class attributes in a subclass; all are data except the methods below):

    - ``name``: the framework's name in cells (``--frameworks``, result records).
    - ``display_name``: how the report names it ('PyTorch').
    - ``distribution``: the installed distribution whose version is the framework's version
      (``importlib.metadata``), so a version is known without importing the framework.
    - ``reference``: True for the executable specification (refimpl): it is the oracle of
      every cell, and its own cells run under ``default_policy``.
    - ``policies``: the refimpl semantics policies that model this framework (the first is
      the current one; ``policy_for`` picks one by version). ``new_policies()`` may return
      ``refimpl.Policy`` objects to register (a third-party framework brings its own).
    - ``features``: what the framework's API offers where APIs differ (``keepdims`` on
      ``logsumexp``, negative slice steps, ``cover_all``, ...): the strategies draw only
      calls the API can express. ``capabilities``: what its engine can do (double
      backprop, functional grad, per-tensor retain_grad, ...): properties skip, with the
      reason, what a framework cannot do.
    - ``porting_role``: 'source' or 'target' where the report's porting guide should put it
      first (Chainer is ported to PyTorch); None otherwise.
    - ``ops_module``: dotted name of the module of op counterparts (refimpl's signature).
    - ``ops_absent``: {subject: reason} for op subjects the framework lacks;
      ``dtypes_absent``: {subject: {dtype: reason}}; ``gradgrad_absent``: {subject: reason}.
    - ``known_issues_file``: path of the TOML file of its known upstream defects, or None.
    - ``repro_prelude``: the start of an op repro script after ``import numpy``: imports and
      ``make``/``to_numpy``/``is_float``/``vjp``/``op_sum`` (``{device}``, ``{policy}`` are
      filled in); ``repro_imports``: the imports of a scenario repro script;
      ``repro_adapter``: the line constructing the pasted adapter class in a scenario repro
      (``{adapter_class}``, ``{policy}`` filled in); ``repro_functions``: the name the repro
      imports bind the framework's function module to (refimpl: 'F'), through which a
      binding that the ops module re-exports unchanged is called, or None.
    - ``capabilities_absent``: {capability: why the framework lacks it} (the reason of skip
      cells; ``capability_reason`` gives a generic one otherwise); ``grad_function``: how
      messages name its functional grad ('torch.autograd.grad'), or None.
    - ``behaviours_module``: dotted name of a module of behaviour cases about this
      framework's own API (registered into ``conformance.behaviours`` on import), or None.
    - ``layers_module``: dotted name of the module binding the layer-level subjects
      (``FUNCTIONS``, ``RUNS``, ``OPTIMIZERS``, ``SERIALIZATION``, ...: see
      ``conformance.checks.layers``), or None (no layer-level bindings).
    - ``layer_repro_imports``: the imports a layer repro script of this framework starts with
      before the pasted run (``conformance.checks.repro``).
    - ``device_side_asserts``: {device: why} where the framework checks the values inside
      array arguments (an index array) on that device with a device-side assert, which leaves
      the process's GPU context unusable: the error inputs whose bad value is inside array
      data (``ErrorInput.in_array_data``) are not run there, and the cell says why.
    - ``port_module``: dotted name of the module ``conformance.port`` drives a model of this
      framework through (record layers, copy weights, gradients, a step; for the reference:
      re-run a recorded call under a policy), or None.
    """

    name = None
    display_name = None
    distribution = None
    reference = False
    default_policy = None
    policies = ()
    features = frozenset()
    capabilities = frozenset()
    porting_role = None
    ops_module = None
    ops_absent = {}
    dtypes_absent = {}
    gradgrad_absent = {}
    known_issues_file = None
    repro_prelude = ""
    repro_imports = ""
    repro_adapter = "{adapter_class}()"
    repro_functions = None
    layers_module = None
    capabilities_absent = {}
    grad_function = None
    behaviours_module = None
    layer_repro_imports = ""
    device_side_asserts = {}
    port_module = None  # issue 18: the port checker (conformance.port)

    def adapter(self, semantics=None):
        """A fresh adapter; raises ``AdapterUnavailable`` with the reason when the framework
        cannot be used here. ``semantics`` applies to the reference plugin only."""
        raise NotImplementedError

    def installed_version(self):
        """The framework's version from its distribution's metadata, or None (not installed)."""
        if self.distribution is None:
            return None
        return _distribution_version(self.distribution)

    def policy_for(self, version):
        """The refimpl policy (its name) that models this framework at ``version``."""
        if not self.policies:
            raise ValueError(f"framework {self.name!r} names no refimpl policy")
        return self.policies[0]

    def new_policies(self):
        """refimpl ``Policy`` objects this plugin registers (a framework refimpl does not
        know yet brings its own); registered when the plugin is loaded."""
        return ()

    def semantics_policies(self):
        """{policy name: refimpl ``Policy``} of every registered semantics policy: the
        reference's data (the report's porting guide reads values and field docs from it);
        {} for the other plugins."""
        return {}

    def has(self, capability):
        return capability in self.capabilities

    def capability_reason(self, capability):
        """None when the framework has ``capability``, else why not (the reason of skip
        cells)."""
        if self.has(capability):
            return None
        return self.capabilities_absent.get(capability,
                                            f"{self.name} lacks the capability {capability!r}")

    def absent_op(self, subject):
        """The reason the framework lacks op ``subject``, or None."""
        return self.ops_absent.get(subject)

    def absent_dtype(self, subject, dtype):
        """The reason the framework lacks op ``subject`` in ``dtype``, or None."""
        return self.dtypes_absent.get(subject, {}).get(dtype)

    def absent_gradgrad(self, subject):
        """The reason the framework cannot double-backprop through op ``subject``, or None."""
        return self.gradgrad_absent.get(subject)

    def __repr__(self):
        return f"<framework plugin {self.name!r}>"


@functools.cache
def _distribution_version(distribution):
    """The installed version of ``distribution`` (None: not installed), read once per process:
    reading the metadata scans sys.path (about 2 ms), and ``absent_op`` asks for it per call."""
    import importlib.metadata
    try:
        return importlib.metadata.version(distribution).split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return None
