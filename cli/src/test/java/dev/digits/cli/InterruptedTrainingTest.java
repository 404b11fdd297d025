package dev.digits.cli;

import dev.digits.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C during training: the process is interrupted for real, then resumed from what it left on disk. */
class InterruptedTrainingTest {
    @TempDir
    Path dir;

    @Test
    void anInterruptedRunLeavesItsLastCompleteCheckpointUsableForResume() throws Exception {
        Path out = dir.resolve("mlp");
        String data = System.getProperty("digits.data");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "-Dai.djl.offline=true", DigitsCommand.class.getName(), "train", "--model", "mlp", "--epochs", "50",
                "--limit", "3000", "--seed", "3", "--data", data, "--output", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        Path state = out.resolve("checkpoints/state.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(state) && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(50);
        assertTrue(Files.exists(state), "no checkpoint appeared: " + Files.readString(dir.resolve("log.txt")));
        Thread.sleep(300); // land somewhere inside a later epoch or a checkpoint write
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process did not stop on SIGINT");

        Map<String, Object> st = Json.parseObject(Files.readString(state));
        int done = ((Number) st.get("epoch")).intValue();
        assertTrue(done >= 1 && done < 50, "checkpoint epoch " + done);
        assertTrue(Files.size(out.resolve(String.format("checkpoints/epoch-%03d.safetensors", done))) > 400_000);

        CliTest.Run r = CliTest.run("train", "--model", "mlp", "--epochs", Integer.toString(done + 1), "--limit", "3000",
                "--seed", "3", "--data", data, "--output", out.toString(), "--resume");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Resuming") && r.out().contains("Epoch " + (done + 1) + "/" + (done + 1) + ":"), r.out());
        assertEquals(done + 2, Files.readAllLines(out.resolve("history.csv")).size());
    }
}
