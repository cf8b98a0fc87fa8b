"""File I/O internals under [`srzoo.imageio`][srzoo.imageio] and the weights/run writers.

* `atomic`: write a file whole or not at all (temporary file in the target folder, then rename);
* `png16`: decode 16-bit PNGs to full precision (Pillow reduces them to 8 bits);
* `png_stream`: write a PNG band by band, so that upscaling a huge image never holds its output.
"""
