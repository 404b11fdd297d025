package dev.digits.cli;

import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code digits serve}: the prediction API, model downloads for devices and the web app, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the REST API (/api/v1/predict, /api/v1/models, /openapi.json), model downloads for phones and",
                "browsers, and the web app at /. Without --models it serves the cnn embedded in this build.",
                "Administration (upload, activate, roll back) is enabled when DIGITS_ADMIN_TOKEN is set."},
        footer = {"", "Examples:", "  digits serve", "  digits serve --port 9000", "  digits serve --models models/"})
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind; 0.0.0.0 lets phones on the network connect (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-m", "--models"}, paramLabel = "DIR", description = "Directory of models to serve (trained and exported with digits); the embedded cnn when absent or empty.")
    Path models;

    @Option(names = "--default-model", paramLabel = "NAME", description = "Model answering requests that name none.")
    String defaultModel;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ServerConfig.Builder config = ServerConfig.builder().host(host).port(port);
        if (models != null) config.models(models);
        if (defaultModel != null) config.defaultModel(defaultModel);
        String token = System.getenv("DIGITS_ADMIN_TOKEN");
        if (token != null && !token.isBlank()) config.adminToken(token);
        DigitsServer server = DigitsServer.start(config.build());
        CountDownLatch stopped = new CountDownLatch(1);
        // Ctrl-C: stop accepting, let requests in flight finish, unload models.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "digits-shutdown"));
        String shown = "0.0.0.0".equals(host) ? "localhost" : host;
        System.out.println("Digits is serving on http://" + shown + ":" + server.port() + "/  (API: /api/v1/predict,"
                + " models: /api/v1/models, OpenAPI: /openapi.json; Ctrl-C to stop)");
        if (token != null && !token.isBlank()) System.out.println("Administration enabled (bearer token from DIGITS_ADMIN_TOKEN).");
        stopped.await();
        return ExitCodes.OK;
    }
}
