package dev.digits.cli;

import dev.digits.train.Provenance;
import picocli.CommandLine;

/** {@code digits --version}: this build and the runtime it is on. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"digits " + Provenance.version(),
                "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
    }
}
