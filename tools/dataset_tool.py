"""Converts a folder or .zip of images into a tfgan_fs TFRecord training dataset.

Example:
    python tools/dataset_tool.py --source=~/photos --dest=datasets/photos256 \\
        --transform=center-crop --resolution=256 --labels=folders

See `tfgan_fs.data.dataset_tool.convert_dataset` for the details of every option.
"""

from absl import app
from absl import flags

from tfgan_fs.cli.errors import fail

flags.DEFINE_string("source", None, "Input: a directory of images (searched recursively for "
                    ".png .jpg .jpeg .bmp .webp) or a .zip of images.")
flags.DEFINE_string("dest", None, "Output directory for the TFRecord dataset; must not exist "
                    "or be empty.")
flags.DEFINE_integer("resolution", None, "Output side in pixels (a power of two). Default: keep "
                     "the images' size.", lower_bound=1)
flags.DEFINE_enum("transform", "none", ["none", "center-crop", "center-crop-wide"],
                  "none: images must already be square and the output size; center-crop: crop "
                  "the centred square and resize; center-crop-wide: like center-crop but drop "
                  "images smaller than --resolution.")
flags.DEFINE_enum("resize_filter", "lanczos", ["box", "lanczos"], "Resampling filter used when "
                  "resizing.")
flags.DEFINE_enum("labels", "auto", ["auto", "json", "folders", "none"],
                  "auto: use the source's dataset.json labels if present; json: require them; "
                  "folders: first-level folder name is the class; none: unlabeled.")
flags.DEFINE_integer("max_images", None, "Convert only the first N images (in sorted order).",
                     lower_bound=1)
flags.DEFINE_enum("channels", "auto", ["auto", "1", "3"], "auto: keep the images' channels "
                  "(all must match the first image, grayscale or RGB); 1 or 3: convert every "
                  "image to grayscale or RGB.")
flags.DEFINE_enum("encoding", "png", ["png", "raw"], "How images are stored in the records: "
                  "lossless PNG, or raw uint8 pixels (larger, fastest to decode).")
flags.DEFINE_integer("images_per_shard", 1024, "Images per TFRecord shard.", lower_bound=1)
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.mark_flags_as_required(["source", "dest"])

FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    channels = FLAGS.channels if FLAGS.channels == "auto" else int(FLAGS.channels)
    from tfgan_fs.data.dataset_info import DatasetError  # after flag parsing: fast --help
    from tfgan_fs.data.dataset_tool import convert_dataset

    try:
        info = convert_dataset(
            FLAGS.source, FLAGS.dest, resolution=FLAGS.resolution, transform=FLAGS.transform,
            resize_filter=FLAGS.resize_filter, labels=FLAGS.labels, max_images=FLAGS.max_images,
            channels=channels, encoding=FLAGS.encoding,
            images_per_shard=FLAGS.images_per_shard, progress=FLAGS.progress)
    except DatasetError as e:
        fail(str(e))
    classes = f"{info.num_classes} classes" if info.num_classes else "unlabeled"
    print(f"wrote {info.count} images ({info.resolution}x{info.resolution}x{info.channels}, "
          f"{classes}) to {FLAGS.dest}")


if __name__ == "__main__":
    app.run(main)
