package dev.digits.serve.browser;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import dev.digits.serve.RequiredRuntime;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Debian's Chromium, headless, driven by Playwright, with a fresh profile. Playwright is told never to download a
 * browser of its own: the machine's Chromium is the one under test.
 */
final class Chromium implements AutoCloseable {
    /** Where Debian's package installs it; DIGITS_CHROMIUM points elsewhere. */
    static final Path EXECUTABLE = Path.of(System.getenv().getOrDefault("DIGITS_CHROMIUM", "/usr/bin/chromium"));

    /**
     * As root Chromium needs --no-sandbox; the background-networking flags stop it calling home, which this machine's
     * closed network refuses noisily.
     */
    private static final List<String> ARGS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic");

    private final Playwright playwright;
    private final BrowserContext context;

    private Chromium(Playwright playwright, BrowserContext context) {
        this.playwright = playwright;
        this.context = context;
    }

    /**
     * Disables a test class when Chromium is not installed, saying so, except under CI (CI=true): there the tests run
     * and fail on the missing browser, since the acceptance tests must not silently stop running.
     */
    static final class Required implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (Files.isExecutable(EXECUTABLE) || RequiredRuntime.onCi()) return ConditionEvaluationResult.enabled("Chromium required");
            return ConditionEvaluationResult.disabled(missing() + " (browser tests skipped)");
        }
    }

    private static String missing() {
        return "Chromium not found at " + EXECUTABLE + "; install it with: apt-get install -y chromium chromium-driver";
    }

    /**
     * Fails under CI when Chromium is missing, skips elsewhere (test classes are disabled by {@link Required} before,
     * outside CI).
     */
    static void assumeInstalled() {
        RequiredRuntime.require(Files.isExecutable(EXECUTABLE), missing());
    }

    /** Starts Chromium with an empty profile in {@code userDataDir}. */
    static Chromium start(Path userDataDir) {
        assumeInstalled();
        Playwright playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        try {
            BrowserContext context = playwright.chromium().launchPersistentContext(userDataDir,
                    new BrowserType.LaunchPersistentContextOptions()
                            .setExecutablePath(EXECUTABLE)
                            .setHeadless(true)
                            .setArgs(ARGS)
                            .setHasTouch(true) // a touch screen as well as a mouse, as on a tablet
                            .setViewportSize(1000, 760));
            context.setDefaultTimeout(30_000);
            return new Chromium(playwright, context);
        } catch (RuntimeException e) {
            playwright.close();
            throw e;
        }
    }

    BrowserContext context() {
        return context;
    }

    @Override
    public void close() {
        try {
            context.close();
        } finally {
            playwright.close();
        }
    }
}
