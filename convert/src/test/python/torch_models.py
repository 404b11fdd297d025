"""Trains small MNIST models in PyTorch and exports them with torch.onnx, as people outside Digits do.

The files are the import tests' fixtures: written by PyTorch's own exporter (and the onnx package for external
data), not by Digits. Each model is trained for a short while on its own input contract, which the importer has to
find again. Run by the test build with Debian's python3-torch and python3-onnx:

    python3 torch_models.py MNIST_DIR OUT_DIR
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def idx(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            data = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit("MNIST file %s(.gz) not found" % path)


class PytorchExampleNet(nn.Module):
    """The network of PyTorch's own MNIST example (examples/mnist/main.py), smaller: view() flatten, log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 6 * 6, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(x)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


class Mlp(nn.Module):
    """A flat-input MLP on raw 0–255 pixels, answering logits."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ChannelsLastResNet(nn.Module):
    """A small residual network taking [n,28,28,1] (channels last, as TensorFlow apps send), dark ink on light."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, 1, 1)
        self.bn = nn.BatchNorm2d(8)
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = F.relu(self.bn(self.stem(x)))
        x = self.block2(self.block1(x))
        x = torch.mean(x, dim=(2, 3))
        return F.softmax(self.fc(x), dim=1)


class KerasStyleNet(nn.Module):
    """The shape tf2onnx gives a Keras model: channels-last input of 0–255 pixels scaled inside the graph (Div),
    transposes around the convolutions, a channels-last flatten, and a dense layer as MatMul + Add."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5)
        self.w = nn.Parameter(torch.randn(12 * 12 * 8, 10) * 0.01)
        self.b = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        x = (x / 255.0).permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return torch.matmul(x, self.w) + self.b


def train(model, images, labels, transform, epochs, lr, nll=False):
    torch.manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    n = len(images)
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, 64):
            i = order[start:start + 64]
            x = transform(images[i])
            out = model(x)
            loss = F.nll_loss(out, labels[i]) if nll else F.cross_entropy(out, labels[i]) if not isinstance(model, ChannelsLastResNet) \
                else F.nll_loss(torch.log(out + 1e-9), labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def accuracy(model, images, labels, transform):
    with torch.no_grad():
        out = model(transform(images))
    return float((out.argmax(1) == labels).float().mean())


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    train_x = torch.tensor(idx(os.path.join(data, "train-images-idx3-ubyte"))[:12000], dtype=torch.float32)
    train_y = torch.tensor(idx(os.path.join(data, "train-labels-idx1-ubyte"))[:12000], dtype=torch.long)
    test_x = torch.tensor(idx(os.path.join(data, "t10k-images-idx3-ubyte")), dtype=torch.float32)
    test_y = torch.tensor(idx(os.path.join(data, "t10k-labels-idx1-ubyte")), dtype=torch.long)
    report = {"producer": "pytorch " + torch.__version__}

    # 1. PyTorch's MNIST example: Normalize((0.1307,), (0.3081,)), NCHW, log_softmax, opset 13.
    norm = lambda x: ((x / 255.0 - 0.1307) / 0.3081).unsqueeze(1)
    net = PytorchExampleNet()
    train(net, train_x, train_y, norm, 1, 1e-3, nll=True)
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), os.path.join(out, "torch-example-normalized.onnx"), opset_version=13,
                      input_names=["input"], output_names=["log_probabilities"], dynamic_axes={"input": {0: "n"}})
    report["torch-example-normalized.onnx"] = accuracy(net, test_x, test_y, norm)

    # 2. A flat MLP on raw 0–255 pixels, logits, opset 9, batch fixed at 1.
    raw = lambda x: x.reshape(-1, 784)
    mlp = Mlp()
    train(mlp, train_x, train_y, raw, 2, 1e-4)
    torch.onnx.export(mlp, torch.zeros(1, 784), os.path.join(out, "torch-mlp-255.onnx"), opset_version=9,
                      input_names=["pixels"], output_names=["logits"])
    report["torch-mlp-255.onnx"] = accuracy(mlp, test_x, test_y, raw)

    # 3. Channels-last residual network, dark ink on light [0,1], softmax; weights in an external data file.
    inverted = lambda x: (1.0 - x / 255.0).unsqueeze(3)
    res = ChannelsLastResNet()
    train(res, train_x, train_y, inverted, 1, 3e-3)
    path = os.path.join(out, "torch-resnet-nhwc.onnx")
    torch.onnx.export(res, torch.zeros(1, 28, 28, 1), path, opset_version=11, input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "n"}})
    import onnx
    model = onnx.load(path)
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="torch-resnet-nhwc.onnx.data",
                    size_threshold=0)
    report["torch-resnet-nhwc.onnx"] = accuracy(res, test_x, test_y, inverted)

    # 4. tf2onnx's shape of a Keras model (see KerasStyleNet), trained on 0–255 pixels, opset 13.
    nhwc255 = lambda x: x.unsqueeze(3)
    keras = KerasStyleNet()
    train(keras, train_x, train_y, nhwc255, 1, 2e-3)
    torch.onnx.export(keras, torch.zeros(1, 28, 28, 1), os.path.join(out, "torch-keras-style.onnx"), opset_version=13,
                      input_names=["input_1"], output_names=["dense"], dynamic_axes={"input_1": {0: "n"}})
    report["torch-keras-style.onnx"] = accuracy(keras, test_x, test_y, nhwc255)

    # 5. An operator Digits has no form for (LeakyReLU), untrained: the import must refuse it, naming it.
    leaky = nn.Sequential(nn.Conv2d(1, 4, 3), nn.LeakyReLU(0.1), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    torch.onnx.export(leaky.eval(), torch.zeros(1, 1, 28, 28), os.path.join(out, "torch-leaky-relu.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"])

    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
