package dev.digits.cli;

import dev.digits.convert.ExportFormat;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.Quantization;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.inference.VersionVerifier;
import dev.digits.train.data.Mnist;
import dev.digits.serve.ServerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code digits serve}: the prediction API, model downloads for devices and the web app, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the REST API (/api/v1/predict, /api/v1/models, /openapi.json), model downloads for phones and",
                "browsers, and the web app at /. Without --models it serves the cnn embedded in this build.",
                "Administration (upload, activate, roll back) is enabled when DIGITS_ADMIN_TOKEN is set."},
        footer = {"", "Examples:", "  digits serve", "  digits serve --port 9000", "  digits serve --models models/",
                "  digits serve --registry 'jdbc:postgresql://db:5432/digits?user=digits&password=…'"})
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind; 0.0.0.0 lets phones on the network connect (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-m", "--models"}, paramLabel = "DIR", description = "Directory of models to serve (trained and exported with digits); the embedded cnn when absent or empty.")
    Path models;

    @Option(names = "--default-model", paramLabel = "NAME", description = "Model answering requests that name none.")
    String defaultModel;

    @Option(names = "--registry", paramLabel = "JDBC_URL",
            description = "A registry shared by replicas: jdbc:postgresql://HOST:PORT/DB?user=… (default: $DIGITS_REGISTRY)."
                    + " Uploads, activations and rollbacks on any replica reach all of them; --models then seeds an empty registry.")
    String registry;

    @Option(names = "--no-export", description = "Refuse model directories without a verified ONNX export instead of exporting them first.")
    boolean noExport;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ServerConfig.Builder config = ServerConfig.builder().host(host).port(port);
        if (models != null) {
            if (!noExport) exportWhatIsNotExported(models);
            config.models(models);
        }
        if (defaultModel != null) config.defaultModel(defaultModel);
        // Uploads are held to their cards on 1,000 MNIST test digits when the data is here (never downloaded for it).
        Path mnist = Mnist.resolveDirectory(data.data);
        if (VersionVerifier.holdsMnistTestSet(mnist)) config.verificationData(mnist);
        String token = System.getenv("DIGITS_ADMIN_TOKEN");
        if (token != null && !token.isBlank()) config.adminToken(token);
        config.registry(registry != null ? registry : System.getenv("DIGITS_REGISTRY"));
        ServerMain.serveUntilStopped(config.build(), System.out);
        return ExitCodes.OK;
    }

    /**
     * The server runs only verified ONNX files and never converts: every model directory under {@code root}
     * (straight under it, or a numbered version) whose export lacks a float32 ONNX file verified against its
     * current weights is exported and verified here first, as {@code digits export --format onnx} would.
     */
    private void exportWhatIsNotExported(Path root) throws IOException {
        if (!Files.isDirectory(root)) return;
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            for (Path model : (Iterable<Path>) children.sorted()::iterator) {
                if (!Files.isDirectory(model) || model.getFileName().toString().startsWith(".")) continue;
                if (Files.isRegularFile(model.resolve(ModelArtifact.SPEC_FILE))) dirs.add(model);
                Path versions = model.resolve("versions");
                if (Files.isDirectory(versions)) {
                    try (Stream<Path> vs = Files.list(versions)) {
                        vs.filter(v -> Files.isRegularFile(v.resolve(ModelArtifact.SPEC_FILE))).sorted().forEach(dirs::add);
                    }
                }
            }
        }
        for (Path dir : dirs) {
            ModelArtifact artifact = ModelArtifact.open(dir);
            Optional<ExportManifest> manifest = artifact.manifest();
            boolean current = manifest.isPresent() && manifest.get().entry("onnx", "float32").isPresent()
                    && manifest.get().weightsSha256().equals(artifact.weightsSha256());
            if (current) continue;
            System.out.println(dir + " has no verified ONNX export of its weights: exporting it first");
            ExportCommand.export(artifact, ModelData.of(artifact, data.data), EnumSet.of(ExportFormat.ONNX),
                    EnumSet.of(Quantization.FLOAT32), ExportOptions.builder());
        }
    }
}
