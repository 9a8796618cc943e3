# Reference values for EvalTests.Pyramid_MatchesScipy: the Laplacian pyramid of ProGAN's
# metrics/sliced_wasserstein.py (tkarras/progressive_growing_of_gans), computed the same way with
# scipy.ndimage.convolve(mode='mirror'), of a 32x32 test image defined by a formula.
# Run: python3 tools/EvalBench/scipy_pyramid.py (needs numpy and scipy).
import numpy as np
import scipy.ndimage

binomial = np.float32([1, 4, 6, 4, 1])
kernel = np.outer(binomial, binomial)[None, None] / 256.0

def pyramid_down(x):
    return scipy.ndimage.convolve(x, kernel, mode='mirror')[:, :, ::2, ::2]

def pyramid_up(x):
    n, c, h, w = x.shape
    zeros = np.zeros((n, c, 2 * h, 2 * w), x.dtype)
    zeros[:, :, ::2, ::2] = x
    return scipy.ndimage.convolve(zeros, kernel * 4.0, mode='mirror')

def laplacian(x, levels):
    pyramid = [np.float32(x)]
    for _ in range(1, levels):
        pyramid.append(pyramid_down(pyramid[-1]))
        pyramid[-2] -= pyramid_up(pyramid[-1])
    return pyramid

size = 32
c, y, x = np.meshgrid(np.arange(3), np.arange(size), np.arange(size), indexing='ij')
image = ((x * 37 + y * 11 + c * 71 + x * y) % 256).astype(np.uint8)[None]
levels = laplacian(image, 2)
for level, c, y, x in [(0, 0, 0, 0), (0, 1, 0, 31), (0, 2, 31, 0), (0, 0, 31, 31), (0, 1, 15, 1), (0, 2, 16, 17),
                       (1, 0, 0, 0), (1, 1, 15, 15), (1, 2, 0, 15), (1, 0, 7, 8)]:
    print(f"({level}, {c}, {y}, {x}, {levels[level][0, c, y, x]:.4f}f),")
