package dev.digits.android;

import org.junit.runners.model.FrameworkMethod;
import org.junit.runners.model.InitializationError;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.internal.bytecode.InstrumentationConfiguration;

/**
 * Robolectric's runner, except that the Digits server a test starts, and the training of models it publishes, run on
 * the host side of the sandbox: loaded by the ordinary class loader, as a server on another machine would be, while
 * the app and its copy of core run inside the sandbox on Android's framework code. They talk only over HTTP on
 * loopback, and hand each other nothing but paths and strings.
 */
public final class ScreenTestRunner extends RobolectricTestRunner {
    public ScreenTestRunner(Class<?> testClass) throws InitializationError {
        super(testClass);
    }

    @Override
    protected InstrumentationConfiguration createClassLoaderConfig(FrameworkMethod method) {
        return new InstrumentationConfiguration.Builder(super.createClassLoaderConfig(method))
                .doNotAcquireClass(DigitsServerFixture.class.getName())
                .doNotAcquireClass(ExportedModels.class.getName())
                .build();
    }
}
