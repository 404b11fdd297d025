package dev.digits.train.data;

import dev.digits.core.error.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** How a dataset directory is laid out: class folders of image files, or MNIST's four IDX files. */
public enum DatasetFormat {
    /** One subfolder of images per class ({@link FolderDataset}). */
    FOLDER,
    /** The four IDX files of MNIST and its relatives, gzip or raw ({@link IdxDatasets}). */
    IDX;

    /** The name used on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code folder} or {@code idx}; the error lists both. */
    public static DatasetFormat parse(String id) {
        for (DatasetFormat f : values()) if (f.id().equalsIgnoreCase(id)) return f;
        throw new InvalidInputException("unknown dataset format '" + id + "'; choose folder (one subfolder of images per class) or idx");
    }

    /** {@link #IDX} when {@code dir} holds an IDX training-images file, else {@link #FOLDER}. */
    public static DatasetFormat detect(Path dir) {
        return Files.isDirectory(dir) && Mnist.find(dir, Mnist.Part.TRAIN_IMAGES) != null ? IDX : FOLDER;
    }
}
