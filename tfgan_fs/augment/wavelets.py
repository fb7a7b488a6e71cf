"""Wavelet low-pass filters used by ADA, and the image-space filter bank built from them.

Coefficients of the symlet low-pass filters (PyWavelets' `sym2`/`sym6` decomposition filters,
as listed in the StyleGAN2-ADA reference): sym6 is the anti-aliasing filter of the geometric
transforms, sym2 generates the 4-band filter bank of `imgfilter`.
"""

import numpy as np

SYM2 = (-0.12940952255092145, 0.22414386804185735, 0.836516303737469, 0.48296291314469025)
SYM6 = (0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
        0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
        -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036,
        -0.007800708325034148)


def imgfilter_bank(num_bands=4):
    """The [num_bands, taps] bank of octave band-pass filters (43 taps for 4 bands).

    Band 0 is the lowest octave; each further band is the previous bank upsampled by 2 and
    low-passed with H(z)H(z^-1)/2, plus the high-pass H(-z)H(-z^-1)/2 in the new band
    (Karras et al. 2020, "Training GANs with Limited Data", appendix B.3).
    """
    lo = np.asarray(SYM2)
    hi = lo * (-1.0) ** np.arange(lo.size)
    lo2 = np.convolve(lo, lo[::-1]) / 2
    hi2 = np.convolve(hi, hi[::-1]) / 2
    bank = np.eye(num_bands, 1)
    for i in range(1, num_bands):
        upsampled = np.zeros([num_bands, bank.shape[1] * 2 - 1])
        upsampled[:, ::2] = bank
        bank = np.stack([np.convolve(row, lo2) for row in upsampled])
        start = (bank.shape[1] - hi2.size) // 2
        bank[i, start:start + hi2.size] += hi2
    return bank
