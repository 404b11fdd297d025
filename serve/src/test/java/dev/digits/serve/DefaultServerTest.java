package dev.digits.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Tests against one server per test class with default settings (embedded model, ephemeral port, quiet log). */
abstract class DefaultServerTest {
    static DigitsServer server;
    static Http http;

    @BeforeAll
    static void startDefaultServer() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build());
        http = new Http(server);
    }

    @AfterAll
    static void stopDefaultServer() {
        if (server != null) server.close();
    }
}
