"""Writes Keras model files (.h5 and .keras) of small MNIST networks trained in PyTorch, for the Keras import tests.

No Keras or TensorFlow is installed where the tests run, so the networks are trained in PyTorch, laid out as Keras
computes (channels last: HWIO convolution kernels, an (h, w, c) flatten before the dense layers, [in, out] dense
kernels, BatchNormalization with Keras' epsilon 1e-3) and written with h5py in the groups, datasets and attributes,
of the names and types, that Keras itself writes:

* Keras 2 .h5 (tf.keras 2.x ``model.save("m.h5")``, keras/saving/legacy/hdf5_format.py): root attributes
  ``model_config`` (JSON as bytes), ``keras_version`` and ``backend`` (str: variable-length strings); group ``model_weights`` with ``layer_names``, ``backend`` and ``keras_version`` (bytes), one group per
  layer with ``weight_names`` (an array of bytes, e.g. b"dense/kernel:0"; an empty list where the layer has no
  weights, which h5py stores as an empty float64 array) and the datasets at those names under the layer's group.
* Keras 3 .h5 (Keras 3 ``model.save("m.h5")``, keras/src/legacy/saving/legacy_h5_format.py): the same, with
  ``weight_names`` the variables' paths without ``:0`` (``sequential/dense/kernel`` in a Sequential model) and a
  ``top_level_model_weights`` group.
* Keras 3 .keras (keras/src/saving/saving_lib.py): a zip of ``metadata.json``, ``config.json`` and
  ``model.weights.h5``, whose groups ``layers/<name>/vars/<i>`` name each layer by its class in snake case, numbered
  per class in the order of ``model.layers`` (``conv2d``, ``conv2d_1``), not by the layer's own name.
* Keras 2.13–2.15 .keras: the same zip, the layers under ``_layer_checkpoint_dependencies`` (the dict
  ``Functional._layer_checkpoint_dependencies``, which lists each layer with weights twice, as
  ``layer_with_weights-N`` and ``layer-N``: the second visit is skipped but still counted, so the numbers skip).

Run by the test build with Debian's python3-torch and python3-h5py:

    python3 keras_files.py MNIST_DIR OUT_DIR
"""
import io
import json
import os
import re
import sys
import zipfile

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_models import idx


class RescaledBnNet(nn.Module):
    """Rescaling(1/255) → Conv2D(16, 3, same, relu) → BatchNormalization → MaxPooling2D → Conv2D(32, 3, relu) →
    MaxPooling2D → Flatten → Dropout → Dense(10, softmax), on 0–255 channels-last pixels."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(16, eps=1e-3)
        self.conv2 = nn.Conv2d(16, 32, 3)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(6 * 6 * 32, 10)

    def forward(self, x):
        x = (x / 255.0).permute(0, 3, 1, 2)
        x = F.max_pool2d(self.bn(F.relu(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens (h, w, c)
        return self.fc(self.dropout(x))  # logits; the file's softmax is in its config


class SmallNet(nn.Module):
    """Conv2D(8, 5, relu) → MaxPooling2D → Flatten → Dense(64, relu) → Dense(10), on [0,1] channels-last pixels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 5)
        self.fc1 = nn.Linear(12 * 12 * 8, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x.permute(0, 3, 1, 2))), 2)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return self.fc2(F.relu(self.fc1(x)))


def train(model, images, labels, transform, epochs, lr):
    torch.manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), 64):
            i = order[start:start + 64]
            loss = F.cross_entropy(model(transform(images[i])), labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def accuracy(model, images, labels, transform):
    with torch.no_grad():
        return float((model(transform(images)).argmax(1) == labels).float().mean())


# ---- The weights as Keras holds them, per layer in Keras' variable order -------------------------------------------

def conv(c):
    return [c.weight.detach().permute(2, 3, 1, 0).numpy().copy(), c.bias.detach().numpy().copy()]  # OIHW → HWIO


def dense(d):
    return [d.weight.detach().t().numpy().copy(), d.bias.detach().numpy().copy()]  # [out, in] → [in, out]


def bn(b):
    # gamma and beta are trainable, the moving statistics not: Keras lists them in this order.
    return [b.weight.detach().numpy().copy(), b.bias.detach().numpy().copy(), b.running_mean.numpy().copy(),
            b.running_var.numpy().copy()]


# ---- Layer configs (each: class name, config, variables, variable names) -------------------------------------------

def layer(cls, name, config, weights=(), names=()):
    c = {"name": name, "trainable": True, "dtype": "float32"}
    c.update(config)
    return {"class_name": cls, "name": name, "config": c, "weights": list(weights), "names": list(names)}


def rescaled_bn_layers(net, names):
    n = names
    return [
        layer("Rescaling", n[0], {"scale": 1.0 / 255, "offset": 0.0}),
        layer("Conv2D", n[1], {"filters": 16, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
                               "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                               "use_bias": True}, conv(net.conv1), ["kernel", "bias"]),
        layer("BatchNormalization", n[2], {"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True},
              bn(net.bn), ["gamma", "beta", "moving_mean", "moving_variance"]),
        layer("MaxPooling2D", n[3], {"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}),
        layer("Conv2D", n[4], {"filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
                               "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                               "use_bias": True}, conv(net.conv2), ["kernel", "bias"]),
        layer("MaxPooling2D", n[5], {"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}),
        layer("Flatten", n[6], {"data_format": "channels_last"}),
        layer("Dropout", n[7], {"rate": 0.25, "noise_shape": None, "seed": None}),
        layer("Dense", n[8], {"units": 10, "activation": "softmax", "use_bias": True}, dense(net.fc), ["kernel", "bias"]),
    ]


def small_layers(net):
    return [
        layer("Conv2D", "conv2d", {"filters": 8, "kernel_size": [5, 5], "strides": [1, 1], "padding": "valid",
                                   "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                                   "use_bias": True}, conv(net.conv), ["kernel", "bias"]),
        layer("MaxPooling2D", "max_pooling2d", {"pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
                                                "data_format": "channels_last"}),
        layer("Flatten", "flatten", {"data_format": "channels_last"}),
        layer("Dense", "dense", {"units": 64, "activation": "relu", "use_bias": True}, dense(net.fc1), ["kernel", "bias"]),
        layer("Dense", "dense_1", {"units": 10, "activation": "linear", "use_bias": True}, dense(net.fc2), ["kernel", "bias"]),
    ]


def keras2_config(cls_layers, axis_list=True):
    """A tf.keras 2.x Sequential config: the InputLayer first with batch_input_shape, BatchNormalization axis [3]."""
    out = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 28, 28, 1], "dtype": "float32",
                                                   "sparse": False, "ragged": False, "name": "input_1"}}]
    for l in cls_layers:
        c = dict(l["config"])
        if l["class_name"] == "BatchNormalization" and axis_list:
            c["axis"] = [3]
        out.append({"class_name": l["class_name"], "config": c})
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": out}}


def keras3_legacy_config(cls_layers):
    """Keras 3's legacy (use_legacy_config) Sequential config: batch_shape, build_input_shape."""
    out = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1], "dtype": "float32", "sparse": False,
                                                   "name": "input_layer"}}]
    for l in cls_layers:
        out.append({"class_name": l["class_name"], "config": l["config"]})
    return {"class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "dtype": "float32",
                                                   "layers": out, "build_input_shape": [None, 28, 28, 1]}}


POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def keras3_functional_config(cls_layers):
    """Keras 3's Functional config as a .keras file holds it: module/registered_name, inbound_nodes of
    __keras_tensor__ arguments, a single input and output as the [layer, node, tensor] triple itself."""
    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": [None, 28, 28, 1], "dtype": "float32", "sparse": False, "name": "input_layer"},
               "registered_name": None, "name": "input_layer", "inbound_nodes": []}]
    previous, shape = "input_layer", [None, 28, 28, 1]
    for l in cls_layers:
        c = dict(l["config"])
        c["dtype"] = POLICY
        layers.append({"module": "keras.layers", "class_name": l["class_name"], "config": c, "registered_name": None,
                       "build_config": {"input_shape": shape}, "name": l["name"],
                       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                           "shape": shape, "dtype": "float32", "keras_history": [previous, 0, 0]}}], "kwargs": {}}]})
        previous, shape = l["name"], None
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "functional", "trainable": True, "layers": layers, "input_layers": ["input_layer", 0, 0],
                       "output_layers": [previous, 0, 0]},
            "build_config": {"input_shape": None}, "compile_config": None}


def keras2_keras_config(cls_layers):
    """A Keras 2.13–2.15 Sequential config as its .keras file holds it (module, registered_name)."""
    out = [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 28, 28, 1],
            "dtype": "float32", "sparse": False, "ragged": False, "name": "input_1"}, "registered_name": None}]
    for l in cls_layers:
        out.append({"module": "keras.layers", "class_name": l["class_name"], "config": l["config"], "registered_name": None,
                    "build_config": {"input_shape": [None, 28, 28, 1]}})
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": out},
            "registered_name": None, "build_config": {"input_shape": [None, 28, 28, 1]}}


# ---- Writers ---------------------------------------------------------------------------------------------------------

def write_h5(path, config, cls_layers, keras_version, weight_name, fixed_length):
    """save_model_to_hdf5 + save_weights_to_hdf5_group; weight_name(layer, variable) is the stored name.

    h5py 3 stores the bytes Keras hands it as variable-length strings; h5py 2 (which TensorFlow up to 2.4 pinned)
    as fixed-length ones: fixed_length writes the latter, so both kinds of files are read."""
    text = (lambda b: np.bytes_(b)) if fixed_length else (lambda b: b)
    texts = (lambda l: np.array(l, dtype="S")) if fixed_length else (lambda l: l)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version  # str: a variable-length string
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = text(json.dumps(config).encode("utf8"))
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = texts([l["name"].encode("utf8") for l in cls_layers])
        g.attrs["backend"] = text(b"tensorflow")
        g.attrs["keras_version"] = text(keras_version.encode("utf8"))
        for l in sorted(cls_layers, key=lambda x: x["name"]):
            lg = g.create_group(l["name"])
            names = [weight_name(l["name"], n).encode("utf8") for n in l["names"]]
            # An empty list becomes an empty float64 array, as in Keras' files.
            lg.attrs["weight_names"] = texts(names) if names else []
            for name, value in zip(names, l["weights"]):
                lg.create_dataset(name.decode(), value.shape, dtype=value.dtype)[:] = value
        if keras_version.startswith("3."):
            g.create_group("top_level_model_weights").attrs["weight_names"] = []


def snake(cls):
    name = re.sub(r"\W+", "", cls)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def weights_h5(containers):
    """model.weights.h5 as H5IOStore writes it: the model's own (empty) vars, then a vars group per container path."""
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("vars")
        for path, weights in containers:
            v = f.create_group(path).create_group("vars")
            for i, w in enumerate(weights):
                v[str(i)] = w
    return buf.getvalue()


def write_keras(path, config, keras_version, containers):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": keras_version, "date_saved": "2025-01-01@00:00:00"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights_h5(containers))


def keras3_containers(model_layers):
    """layers/<snake case class>[_<n>] per layer of model.layers (_save_container_state's names)."""
    used, out = {}, []
    for l in model_layers:
        name = snake(l["class_name"])
        if name in used:
            used[name] += 1
            name = "%s_%d" % (name, used[name])
        else:
            used[name] = 0
        out.append(("layers/" + name, l["weights"]))
    return out


def keras213_containers(model_layers):
    """_layer_checkpoint_dependencies/<name>: the dict lists layer_with_weights-N before layer-N for each layer with
    weights; both are named (and counted), the second visit of the same layer is skipped."""
    listed = []
    for l in model_layers:
        if l["weights"]:
            listed.append(l)
        listed.append(l)
    used, seen, out = {}, set(), []
    for l in listed:
        name = snake(l["class_name"])
        if name in used:
            used[name] += 1
            name = "%s_%d" % (name, used[name])
        else:
            used[name] = 0
        if id(l) in seen:
            continue
        seen.add(id(l))
        out.append(("_layer_checkpoint_dependencies/" + name, l["weights"]))
    return out


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    train_x = torch.tensor(idx(os.path.join(data, "train-images-idx3-ubyte"))[:12000], dtype=torch.float32)
    train_y = torch.tensor(idx(os.path.join(data, "train-labels-idx1-ubyte"))[:12000], dtype=torch.long)
    test_x = torch.tensor(idx(os.path.join(data, "t10k-images-idx3-ubyte")), dtype=torch.float32)
    test_y = torch.tensor(idx(os.path.join(data, "t10k-labels-idx1-ubyte")), dtype=torch.long)
    report = {"producer": "pytorch " + torch.__version__ + ", h5py " + h5py.__version__}

    # A: 0–255 light-on-dark pixels, scaled by the file's own Rescaling layer; BatchNormalization; softmax.
    nhwc255 = lambda x: x.unsqueeze(3)
    a = RescaledBnNet()
    train(a, train_x, train_y, nhwc255, 2, 2e-3)
    acc_a = accuracy(a, test_x, test_y, nhwc255)
    default_names = ["rescaling", "conv2d", "batch_normalization", "max_pooling2d", "conv2d_1", "max_pooling2d_1",
                     "flatten", "dropout", "dense"]
    a_layers = rescaled_bn_layers(a, default_names)
    write_h5(os.path.join(out, "keras2-cnn.h5"), keras2_config(a_layers), a_layers, "2.15.0",
             lambda layer_name, var: layer_name + "/" + var + ":0", True)
    report["keras2-cnn.h5"] = acc_a
    # The same network as a Keras 3 Functional model whose layers have their own names, which the .keras weights
    # file does not use.
    own = ["scale", "conv_a", "norm", "pool_a", "conv_b", "pool_b", "flat", "drop", "digits"]
    named = rescaled_bn_layers(a, own)
    write_keras(os.path.join(out, "keras3-cnn.keras"), keras3_functional_config(named), "3.6.0",
                [("layers/input_layer", [])] + keras3_containers(named))
    report["keras3-cnn.keras"] = acc_a

    # B: [0,1] dark-on-light pixels, logits.
    inverted = lambda x: (1.0 - x / 255.0).unsqueeze(3)
    b = SmallNet()
    train(b, train_x, train_y, inverted, 3, 2e-3)
    acc_b = accuracy(b, test_x, test_y, inverted)
    b_layers = small_layers(b)
    write_h5(os.path.join(out, "keras3-cnn.h5"), keras3_legacy_config(b_layers), b_layers, "3.6.0",
             lambda layer_name, var: "sequential/" + layer_name + "/" + var, False)
    report["keras3-cnn.h5"] = acc_b
    write_keras(os.path.join(out, "keras213-cnn.keras"), keras2_keras_config(b_layers), "2.15.0", keras213_containers(b_layers))
    report["keras213-cnn.keras"] = acc_b

    # A layer Digits has no form for (Conv2DTranspose), untrained: the import must refuse it, naming it.
    rng = np.random.default_rng(0)
    t_layers = [
        layer("Conv2DTranspose", "conv2d_transpose", {"filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
                                                      "padding": "valid", "activation": "relu", "use_bias": True},
              [rng.standard_normal((3, 3, 4, 1)).astype(np.float32), np.zeros(4, np.float32)], ["kernel", "bias"]),
        layer("Flatten", "flatten", {}),
        layer("Dense", "dense", {"units": 10, "activation": "softmax", "use_bias": True},
              [rng.standard_normal((30 * 30 * 4, 10)).astype(np.float32), np.zeros(10, np.float32)], ["kernel", "bias"]),
    ]
    write_h5(os.path.join(out, "keras2-conv-transpose.h5"), keras2_config(t_layers), t_layers, "2.15.0",
             lambda layer_name, var: layer_name + "/" + var + ":0", False)

    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
