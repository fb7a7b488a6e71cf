"""Figures and videos of trained generators, for the tools and for interactive demos.

One module per figure: `style_mixing` (NVlabs style_mixing.py), `truncation` (psi sweeps),
`comparison` (several generators on the same latents, StyleGAN-NADA / CDC figures),
`directions` (GANSpace PCA of W and edits along a direction), `latent_walk` (stylegan3
gen_video.py walks) and `video` (MP4 / GIF writing, frames streamed).
"""
