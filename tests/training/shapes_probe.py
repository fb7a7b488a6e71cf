"""A small classifier trained on builtin:shapes whose features measure sample quality.

Used by the quickstart learning check: the Fréchet distance between the probe's penultimate
features of real images and of generated images. The probe is trained to tell the four shape
classes apart, so its features respond to what makes a sample look like the data (a single sharp
shape of one colour on a dark background) and barely to pixel noise; a generator that learns the
data moves its feature distribution towards the reals'.
"""

import keras
import numpy as np

from tfgan_fs.data import open_dataset
from tfgan_fs.metrics import feature_statistics, frechet_distance


def train_probe(spec="builtin:shapes", epochs=3, seed=0):
    """Returns (feature_model, real_images_uint8, test_accuracy)."""
    _, features, images, accuracy = train_classifier(spec, epochs, seed)
    return features, images, accuracy


def train_classifier(spec="builtin:shapes", epochs=3, seed=0):
    """Returns (classifier of images in [-1, 1] -> class logits, its feature model,
    real_images_uint8, test_accuracy)."""
    keras.utils.set_random_seed(seed)
    data = open_dataset(spec)
    images, labels = data.load_images(data.info.count)
    x = images.astype(np.float32) / 127.5 - 1
    inputs = keras.Input(x.shape[1:])
    h = inputs
    for filters in (32, 64, 64):
        h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(h)
        h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    features = keras.layers.Dense(64, activation="relu", name="features")(h)
    outputs = keras.layers.Dense(data.info.num_classes)(features)
    model = keras.Model(inputs, outputs)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    split = int(0.9 * len(x))
    model.fit(x[:split], labels[:split], batch_size=64, epochs=epochs, verbose=0)
    accuracy = model.evaluate(x[split:], labels[split:], verbose=0)[1]
    return model, keras.Model(inputs, features), images, accuracy


def probe_fd(feature_model, reals_uint8, fakes_uint8):
    """Fréchet distance of probe features between real and generated uint8 images."""
    def feats(img):
        return feature_model.predict(img.astype(np.float32) / 127.5 - 1, batch_size=256,
                                     verbose=0)
    return frechet_distance(*feature_statistics(feats(reals_uint8)),
                            *feature_statistics(feats(fakes_uint8)))
