"""Data: feature kernels of activations, the spectra of kernels and datasets, and datasets themselves.

A dataset (scikit-learn's bundled digits, or an array file) becomes the
spectrum, teacher and noise of the planar theory (:mod:`~largen.solver.data.datasets`);
an activation's feature kernel (:mod:`~largen.solver.data.kernels`) becomes, by its
spectrum on Gaussian data or on a dataset, the latent spectrum of nonlinear features
(:mod:`~largen.solver.data.kernel_spectrum`).

May import: :mod:`largen.diagrams` and the leaves of :mod:`largen.solver.numerics`
(``spectrum``, ``activation``); the point (:mod:`largen.solver.numerics.point`) imports it
for the kernel route.
"""

from largen.solver.data.datasets import Dataset, DataSpectrum, PowerLawFit, data_spectrum, digits, load
from largen.solver.data.kernel_spectrum import KernelSpectrum, kernel_spectrum
from largen.solver.data.kernels import feature_kernel, gram

__all__ = ["DataSpectrum", "Dataset", "KernelSpectrum", "PowerLawFit", "data_spectrum", "digits", "feature_kernel",
           "gram", "kernel_spectrum", "load"]
