#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/ (small files, committed): a few
valid inputs per target for the fuzzer to mutate. Run from anywhere with a
Python that has Pillow (scripts/test.sh's virtualenv has it):
    ~/.cache/yoloo/venv/bin/python fuzz/make_seeds.py
"""
import io
import re
import struct
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
TINY_CFG = re.search(r'TINY_CFG: &str = "\\\n(.*?)";', (HERE / "src/lib.rs").read_text(), re.S).group(1)


def write(target, name, data):
    path = SEEDS / target / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def tiny_weights(floats=437, major=0, minor=2):
    # The same bytes as src/lib.rs tiny_weights(): 8 + 24 + 216 (conv 1 with
    # batch norm) + 21 + 168 (the head conv) = 437 floats.
    head = struct.pack("<iii", major, minor, 0)
    head += struct.pack("<q", 0) if (major, minor) >= (0, 2) else struct.pack("<i", 0)
    return head + b"".join(struct.pack("<f", 0.05 + (i % 17) * 0.01) for i in range(floats))


def image(fmt, size=(24, 16), mode="RGB", **kw):
    img = Image.new(mode, size)
    for x in range(size[0]):
        for y in range(size[1]):
            v = (x * 10 + y * 7) % 256
            img.putpixel((x, y), (v, 255 - v, (v * 3) % 256)[: len(mode)] if mode != "L" else v)
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def main():
    write("darknet_cfg", "tiny.cfg", TINY_CFG)
    write("darknet_cfg", "route_shortcut_upsample.cfg", TINY_CFG.replace("[yolo]", """[route]
layers=-1,-3

[shortcut]
from=-2
activation=linear

[upsample]
stride=2

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=mish
groups=1

[yolo]""") + "new_coords=1\nscale_x_y=1.05\n")
    yolov3 = HERE.parent / "models/yolov3-tiny.cfg"
    if yolov3.is_file():
        write("darknet_cfg", "yolov3-tiny.cfg", yolov3.read_text())

    write("darknet_weights", "tiny-0.2.weights", tiny_weights())
    write("darknet_weights", "tiny-0.1.weights", tiny_weights(minor=1))
    write("darknet_weights", "short.weights", tiny_weights(floats=100))

    write("detect_bytes", "a.png", image("PNG"))
    write("detect_bytes", "gray.png", image("PNG", mode="L"))
    write("detect_bytes", "a.jpg", image("JPEG", quality=80))
    write("detect_bytes", "a.gif", image("GIF"))
    write("detect_bytes", "a.bmp", image("BMP"))
    write("detect_bytes", "a.webp", image("WEBP", lossless=True))
    write("detect_bytes", "a.tiff", image("TIFF"))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    write("detect_bytes", "exif-rotated.jpg", image("JPEG", exif=exif.tobytes()))

    png = image("PNG", size=(8, 8))
    def form(*parts):
        body = b""
        for headers, data in parts:
            body += b"--B\r\n" + headers + b"\r\n\r\n" + data + b"\r\n"
        return body + b"--B--\r\n"
    file_part = b'Content-Disposition: form-data; name="input_image"; filename="a.png"\r\nContent-Type: image/png'
    write("upload_form", "one.txt", form((file_part, png)))
    write("upload_form", "two.txt", form((file_part, png), (file_part.replace(b"a.png", b"\xe2\x80\xaegpj.exe"), png)))
    write("upload_form", "empty-and-text.txt", form(
        (b'Content-Disposition: form-data; name="input_image"; filename=""', b""),
        (b'Content-Disposition: form-data; name="note"', b"hello"),
    ))

    write("model_metadata", "ultralytics.txt", "\n".join([
        "names\0{0: 'person', 1: 'bicycle', 2: 'car'}",
        "imgsz\0[640, 640]",
        "stride\x0032",
        "task\0detect",
        "end2end\0False",
        "args\0{'batch': 1, 'half': False, 'nms': False}",
        "author\0Ultralytics",
    ]))
    write("model_metadata", "names-only.txt", "{0: 'a', 1: \"b\\\"c\", 2: 'd'}")
    write("model_metadata", "strides.txt", "stride\0[8, 16, 32]\nimgsz\x00416")


if __name__ == "__main__":
    main()
