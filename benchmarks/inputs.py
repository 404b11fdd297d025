#!/usr/bin/python3
# The inputs clients send, generated from an MNIST test digit (a 0): a 28×28 PNG; a 280×280 canvas PNG with
# anti-aliased strokes as the web and Android canvases make it, white on black (grey, and RGBA as a browser writes it)
# and black on a transparent canvas; a 1600×1200 phone photo JPEG of the digit in dark ink on unevenly lit, noisy paper;
# the JSON pixels body of the web app's server mode, and a batch of 16 of them.
# Used by flask-peer.sh and ImageCost.java. Usage: benchmarks/inputs.py MNIST_DIR OUT_DIR (Debian's python3-pil)
import gzip, io, json, os, random, sys
from PIL import Image, ImageFilter
d, out = sys.argv[1], sys.argv[2]
name = next(n for n in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte") if os.path.exists(os.path.join(d, n)))
raw = open(os.path.join(d, name), "rb").read()
raw = gzip.decompress(raw) if name.endswith(".gz") else raw
digit = Image.frombytes("L", (28, 28), raw[16 + 784 * 3:16 + 784 * 4])          # a 0, white on black
digit.save(os.path.join(out, "mnist.png"))
# A canvas: drawn white on black at 280×280, anti-aliased as a browser's stroke is.
canvas = digit.resize((200, 200), Image.BICUBIC).filter(ImageFilter.GaussianBlur(2)).crop((-40, -40, 240, 240))
canvas.save(os.path.join(out, "canvas.png"))
# The same canvas as a browser's canvas.toBlob() or toDataURL() writes it: RGBA, every pixel opaque.
canvas.convert("RGBA").save(os.path.join(out, "canvas-rgba.png"))
# A browser's canvas left transparent, the digit drawn in black: the ink is in the alpha channel.
transparent = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
transparent.putalpha(canvas)
transparent.save(os.path.join(out, "canvas-transparent.png"))
# A phone photo: dark ink on unevenly lit, noisy paper, off-centre.
random.seed(3)
ink = digit.resize((560, 560), Image.BILINEAR)
photo = Image.new("RGB", (1600, 1200))
px = photo.load(); ip = ink.load()
for y in range(1200):
    for x in range(1600):
        paper = 205 + 30.0 * x / 1600 - 20.0 * y / 1200 + random.gauss(0, 4)
        dx, dy = x - 530, y - 300
        i = ip[dx, dy] / 255.0 if 0 <= dx < 560 and 0 <= dy < 560 else 0
        v = max(0, min(255, int(paper * (1 - 0.8 * i))))
        px[x, y] = (v, int(v * 0.97), int(v * 0.9))
photo.save(os.path.join(out, "photo.jpg"), quality=85)
pixels = [round(b / 255.0, 4) for b in digit.tobytes()]
json.dump({"pixels": pixels}, open(os.path.join(out, "pixels.json"), "w"))
json.dump({"pixels": [pixels] * 16}, open(os.path.join(out, "batch.json"), "w"))
