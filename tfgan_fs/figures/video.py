"""Writing frames as a video: MP4 (H.264, through imageio-ffmpeg's bundled ffmpeg) or GIF.

Frames are sent to the encoder one at a time as they come (any iterable, e.g. a generator that
renders them), so memory stays flat in the length of the video, as stylegan3's `gen_video.py`
streams into its imageio writer. The file is written under a temporary name and renamed when
complete; a failed render leaves nothing behind.

H.264 in yuv420p (the pixel format every player reads) needs an even width and height: a frame
with an odd size gets one black row or column added at the bottom or right. Grey frames
([H, W, 1]) are written as RGB.
"""

import os
import pathlib

import imageio_ffmpeg
import numpy as np

from tfgan_fs import images as image_io

VIDEO_FORMATS = ("mp4", "gif")
DEFAULT_CRF = 18  # x264 constant rate factor: 0 lossless, 18 visually near-lossless, 51 worst


def video_format(path):
    """'mp4' or 'gif' from the file name's suffix.

    Raises:
        ValueError: Another suffix (names the file).
    """
    suffix = pathlib.Path(path).suffix.lower().lstrip(".")
    if suffix not in VIDEO_FORMATS:
        raise ValueError(f"'{path}': a video must end in .mp4 or .gif")
    return suffix


def _rgb_even(frame, path):
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] not in (1, 3):
        raise ValueError(f"{path}: frames must be uint8 [H, W, 1 or 3], got {frame.dtype} "
                         f"{list(frame.shape)}")
    if frame.shape[-1] == 1:
        frame = np.repeat(frame, 3, axis=-1)
    h, w = frame.shape[:2]
    if h % 2 or w % 2:
        frame = np.pad(frame, [(0, h % 2), (0, w % 2), (0, 0)])
    return np.ascontiguousarray(frame)


def _write_mp4(frames, path, fps, crf):
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.mp4")
    writer = None
    count = 0
    try:
        for frame in frames:
            frame = _rgb_even(frame, path)
            if writer is None:
                size = (frame.shape[1], frame.shape[0])
                writer = imageio_ffmpeg.write_frames(
                    str(tmp), size, fps=fps, codec="libx264", quality=None,
                    macro_block_size=2, output_params=["-crf", str(int(crf))],
                    ffmpeg_log_level="error")
                writer.send(None)
            elif (frame.shape[1], frame.shape[0]) != size:
                raise ValueError(f"{path}: frame {count} is {frame.shape[1]}x{frame.shape[0]}, "
                                 f"the first was {size[0]}x{size[1]}")
            writer.send(frame.tobytes())
            count += 1
        if writer is None:
            raise ValueError(f"{path}: no frames to write")
        writer.close()
        writer = None
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()
    return count


def write_video(frames, path, fps=30, crf=DEFAULT_CRF):
    """Writes uint8 frames ([H, W, 1 or 3] each, from any iterable) as an MP4 or a GIF.

    The format follows the suffix of `path` (`.mp4`: H.264, constant rate factor `crf`, `fps`
    frames a second; `.gif`: `tfgan_fs.images.save_gif`, 1000 / fps ms a frame, looping).

    Args:
        frames: An iterable of uint8 frames, all of one size; consumed once, one at a time.
        path: Output file (.mp4 or .gif), replaced atomically.
        fps: Frames per second (> 0).
        crf: x264 quality, 0 (lossless) to 51 (MP4 only).

    Returns:
        The number of frames written.

    Raises:
        ValueError: A bad suffix, fps or crf, no frames, or frames of varying size or dtype.
    """
    path = pathlib.Path(path)
    fmt = video_format(path)
    if not fps > 0:
        raise ValueError(f"{path}: fps must be > 0, got {fps}")
    if not 0 <= crf <= 51:
        raise ValueError(f"{path}: crf must be in [0, 51], got {crf}")
    if fmt == "mp4":
        return _write_mp4(frames, path, fps, crf)
    counted = []

    def counting(frames):
        for frame in frames:
            counted.append(None)
            yield frame

    image_io.save_gif(counting(frames), path, duration_ms=max(10, round(1000 / fps)))
    return len(counted)
