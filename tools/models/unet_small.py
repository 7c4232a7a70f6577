"""A 2-level U-Net on 128x128 RGB images: two down steps, a bottleneck, two up steps with skip connections."""

import keras
from keras import layers

image = keras.Input(shape=(128, 128, 3), name="image")


def double_conv(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv1")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv2")(x)


down1 = double_conv(image, 16, "down1")
down2 = double_conv(layers.MaxPooling2D(name="down1_pool")(down1), 32, "down2")
bottom = double_conv(layers.MaxPooling2D(name="down2_pool")(down2), 64, "bottom")
up2 = layers.Conv2DTranspose(32, 2, strides=2, name="up2_transpose")(bottom)
up2 = double_conv(layers.Concatenate(name="up2_concat")([up2, down2]), 32, "up2")
up1 = layers.Conv2DTranspose(16, 2, strides=2, name="up1_transpose")(up2)
up1 = double_conv(layers.Concatenate(name="up1_concat")([up1, down1]), 16, "up1")
mask = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(up1)
model = keras.Model(image, mask, name="unet_small")
