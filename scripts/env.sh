# Environment shared by the entry points (source it; it only exports variables).
# - chainer imports pkg_resources/numpy.distutils; with setuptools<81 this needs stdlib distutils.
export SETUPTOOLS_USE_DISTUTILS=stdlib
# - NumPy's bundled OpenBLAS does not recognise some virtual CPUs and falls back to its slow
#   generic ("Prescott") kernels: 4-5x slower matrix products here. Where the CPU has AVX-512,
#   name the matching kernels explicitly (never on a CPU without it: that would crash).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
