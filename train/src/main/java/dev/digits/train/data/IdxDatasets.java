package dev.digits.train.data;

import dev.digits.core.data.IdxFile;
import dev.digits.core.data.ImageSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any dataset in MNIST's IDX layout (Fashion-MNIST, KMNIST, EMNIST digits…): a directory holding
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and
 * {@code t10k-labels-idx1-ubyte}, each optionally gzipped. No checksums are known for these; the files are checked
 * for consistency only.
 */
public final class IdxDatasets {
    private IdxDatasets() {
    }

    /**
     * Loads an IDX dataset.
     *
     * @param classNames names for the label values 0..n-1; {@code null} for "0".."max label"
     */
    public static Dataset load(String name, Path dir, List<String> classNames) throws IOException {
        if (!Files.isDirectory(dir)) throw new DatasetException("dataset directory " + dir + " does not exist");
        Map<String, String> checksums = new LinkedHashMap<>();
        IdxFile[] files = new IdxFile[4];
        int i = 0;
        for (Mnist.Part part : Mnist.Part.values()) {
            Path file = Mnist.find(dir, part);
            if (file == null) {
                throw new DatasetException(dir + " has no " + part.fileName() + "(.gz): an IDX dataset needs the four files"
                        + " train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte");
            }
            byte[] content = IdxFile.readContent(file);
            checksums.put(part.fileName(), dev.digits.core.artifact.Digests.sha256(content));
            files[i++] = IdxFile.parse(content, part.magic, file.toString());
        }
        int max = 0;
        for (int f : new int[] {1, 3}) for (byte b : files[f].data()) max = Math.max(max, b & 0xff);
        List<String> names = classNames;
        if (names == null) {
            names = new java.util.ArrayList<>();
            for (int c = 0; c <= max; c++) names.add(Integer.toString(c));
        } else if (max >= names.size()) {
            throw new DatasetException("the labels name " + names.size() + " classes but " + dir + " has label values 0.." + max
                    + "; give one name per class");
        }
        return new Dataset(name, toImageSet(files[0], files[1], names, "train-images-idx3-ubyte"),
                toImageSet(files[2], files[3], names, "t10k-images-idx3-ubyte"), checksums,
                // Images stored at the model's input size, not handwriting to be found and centred.
                dev.digits.core.artifact.InputContract.Preprocessing.RESIZE);
    }

    /** Pairs an image file with its label file, checking that they belong together. */
    static ImageSet toImageSet(IdxFile images, IdxFile labels, List<String> classNames, String source) {
        int[] dims = images.dims();
        if (dims.length != 3) throw new DatasetException(source + " is not a 3-D image file");
        if (labels.dims().length != 1) throw new DatasetException("the label file for " + source + " is not 1-D");
        if (labels.count() != images.count()) {
            throw new DatasetException(source + " holds " + images.count() + " images but its label file holds " + labels.count()
                    + " labels: the files do not belong together (mixed train/test files?)");
        }
        byte[] lb = labels.data();
        int[] l = new int[lb.length];
        for (int i = 0; i < lb.length; i++) l[i] = lb[i] & 0xff;
        return new ImageSet(dims[1], dims[2], images.data(), l, classNames);
    }
}
