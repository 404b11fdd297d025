package dev.digits.serve.registry;

import dev.digits.core.error.DigitsException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model registry in PostgreSQL that several servers share: the models, their immutable versions (every file of
 * the version directory), the active version of each model and the history of activations. Each server keeps a
 * {@link ModelRegistry} directory as its local copy and serves from it; this class writes uploads and activations
 * to the database in one transaction each, and follows everyone else's: a {@code NOTIFY} on commit wakes every
 * replica, and a revision counter polled every {@link #POLL_MILLIS} catches what a dropped connection missed.
 * A replica copies a new version into its directory before it asks its {@link Follower} to switch, so it keeps
 * serving the old version until the new one is loaded.
 *
 * <p>Version numbers are allocated under a row lock on the model, so two replicas uploading at once get two
 * numbers, never the same one; a half-written version is never visible, since its rows commit together.
 */
public final class SharedRegistry implements RegistryWriter, AutoCloseable {
    /** The channel of the notifications. */
    static final String CHANNEL = "digits_registry";
    /** How often the revision is polled when no notification arrives. */
    static final int POLL_MILLIS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(SharedRegistry.class);
    private static final String[] MIGRATIONS = {"V1__registry.sql"};

    private final String url;
    private final ModelRegistry local;
    private Connection connection;
    private volatile boolean closed;
    private Thread follower;
    private long seenRevision = -1;

    /** Told to serve a version another replica activated; loads it first, then switches. */
    @FunctionalInterface
    public interface Follower {
        void activate(String name, int version) throws IOException;
    }

    private SharedRegistry(String url, ModelRegistry local) {
        this.url = url;
        this.local = local;
    }

    /**
     * Connects to {@code url} ({@code jdbc:postgresql://host:port/db?user=…}), brings its schema up to date, and
     * copies every version into {@code local}, with each model's active version as its latest.
     *
     * @throws ModelRegistryException when the database cannot be reached or read
     */
    public static SharedRegistry open(String url, ModelRegistry local) throws IOException {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new ModelRegistryException("--registry " + url + " is not a PostgreSQL JDBC URL; use"
                    + " jdbc:postgresql://HOST:PORT/DATABASE?user=USER (or a models directory with --models)");
        }
        SharedRegistry r = new SharedRegistry(url, local);
        try {
            r.connection = r.connect();
            r.migrate();
            r.pull(null);
        } catch (SQLException e) {
            r.close();
            throw new ModelRegistryException("cannot use the registry database " + redacted(url) + ": " + e.getMessage(), e);
        }
        return r;
    }

    /** The URL without credentials, for messages and logs. */
    static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(url);
        c.setAutoCommit(true);
        return c;
    }

    /** Applies the migrations not applied yet, each in its own transaction, one replica at a time. */
    private void migrate() throws SQLException, IOException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS digits_schema_history (version integer PRIMARY KEY, script text NOT NULL,"
                    + " applied_at timestamptz NOT NULL DEFAULT now())");
        }
        for (int i = 0; i < MIGRATIONS.length; i++) {
            int version = i + 1;
            String sql;
            try (InputStream in = SharedRegistry.class.getResourceAsStream("sql/" + MIGRATIONS[i])) {
                sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            inTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    // Replicas starting together: the lock makes the second wait and then find the migration done.
                    s.execute("SELECT pg_advisory_xact_lock(7301)");
                    try (ResultSet rs = s.executeQuery("SELECT 1 FROM digits_schema_history WHERE version = " + version)) {
                        if (rs.next()) return null;
                    }
                    s.execute(sql);
                    try (PreparedStatement p = c.prepareStatement("INSERT INTO digits_schema_history (version, script) VALUES (?, ?)")) {
                        p.setInt(1, version);
                        p.setString(2, MIGRATIONS[version - 1]);
                        p.executeUpdate();
                    }
                    LOG.info("registry database: applied {}", MIGRATIONS[version - 1]);
                }
                return null;
            });
        }
    }

    /** Whether the database holds no model yet (a new registry, to be seeded). */
    public synchronized boolean isEmpty() throws IOException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM models")) {
            rs.next();
            return rs.getLong(1) == 0;
        } catch (SQLException e) {
            throw failure("reading the models", e);
        }
    }

    /**
     * Copies every version of the models directory {@code from} into this registry (which holds none yet), keeping
     * each model's latest: how the first replica of a new registry brings the models it served on its own.
     */
    public void seed(ModelRegistry from) throws IOException {
        for (StoredModel m : from.models()) {
            for (StoredVersion v : m.versions()) {
                Path staging = local.newStagingDirectory(m.name());
                try {
                    EmbeddedModel.copyTree(v.directory(), staging);
                    commit(m.name(), staging);
                } finally {
                    local.discard(staging);
                }
            }
            activate(m.name(), m.latest());
            LOG.info("seeded the shared registry with '{}' ({} versions) from {}", m.name(), m.versions().size(), from.root());
        }
    }

    @Override
    public synchronized StoredVersion commit(String name, Path staging) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(staging)) {
            walk.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
        int[] number = new int[1];
        boolean[] first = new boolean[1];
        try {
            inTransaction(c -> {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO models (name) VALUES (?) ON CONFLICT DO NOTHING")) {
                    p.setString(1, name);
                    p.executeUpdate();
                }
                Integer active;
                try (PreparedStatement p = c.prepareStatement("SELECT active FROM models WHERE name = ? FOR UPDATE")) {
                    p.setString(1, name);
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        active = (Integer) rs.getObject(1);
                    }
                }
                try (PreparedStatement p = c.prepareStatement("SELECT coalesce(max(number), 0) + 1 FROM versions WHERE model = ?")) {
                    p.setString(1, name);
                    try (ResultSet rs = p.executeQuery()) {
                        rs.next();
                        number[0] = rs.getInt(1);
                    }
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO versions (model, number) VALUES (?, ?)")) {
                    p.setString(1, name);
                    p.setInt(2, number[0]);
                    p.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO version_files (model, number, path, content) VALUES (?, ?, ?, ?)")) {
                    for (Path f : files) {
                        p.setString(1, name);
                        p.setInt(2, number[0]);
                        p.setString(3, staging.relativize(f).toString().replace('\\', '/'));
                        p.setBytes(4, Files.readAllBytes(f));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                first[0] = active == null;
                if (first[0]) setActive(c, name, number[0]);
                bump(c, name);
                return null;
            });
        } catch (SQLException e) {
            throw failure("storing version of '" + name + "'", e);
        }
        StoredVersion v = local.commitAs(name, number[0], staging);
        if (first[0]) local.activate(name, number[0]);
        return v;
    }

    @Override
    public synchronized StoredModel activate(String name, int version) throws IOException {
        try {
            inTransaction(c -> {
                setActive(c, name, version);
                bump(c, name);
                return null;
            });
        } catch (SQLException e) {
            throw failure("activating version " + version + " of '" + name + "'", e);
        }
        return local.activate(name, version);
    }

    private static void setActive(Connection c, String name, int version) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE models SET active = ? WHERE name = ?")) {
            p.setInt(1, version);
            p.setString(2, name);
            if (p.executeUpdate() != 1) throw new SQLException("no model named '" + name + "' in the registry database");
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO activations (model, number) VALUES (?, ?)")) {
            p.setString(1, name);
            p.setInt(2, version);
            p.executeUpdate();
        }
    }

    /** Counts the change and notifies every replica; both take effect when the transaction commits. */
    private static void bump(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE registry_revision SET revision = revision + 1 WHERE id = 1");
        }
        try (PreparedStatement p = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            p.setString(1, CHANNEL);
            p.setString(2, name);
            p.execute();
        }
    }

    /**
     * Starts following the other replicas' changes on a thread of its own: new versions are copied into the local
     * directory, and {@code follower} is told of each model whose active version differs from the local latest.
     */
    public synchronized void follow(Follower follower) {
        if (this.follower != null) throw new IllegalStateException("already following");
        Thread t = new Thread(() -> listen(follower), "digits-registry-follower");
        t.setDaemon(true);
        this.follower = t;
        t.start();
    }

    private void listen(Follower f) {
        Connection listening = null;
        long backoff = 100;
        while (!closed) {
            try {
                if (listening == null) {
                    listening = connect();
                    try (Statement s = listening.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    backoff = 100;
                    // Changes made while not listening are found by the revision.
                    sync(f);
                }
                PGNotification[] notes = listening.unwrap(PGConnection.class).getNotifications(POLL_MILLIS);
                if (closed) break;
                if (notes != null && notes.length > 0 || revisionChanged()) sync(f);
            } catch (SQLException | IOException | RuntimeException e) {
                if (closed) break;
                LOG.warn("registry database: {}; retrying in {} ms", e.getMessage(), backoff);
                closeQuietly(listening);
                listening = null;
                sleep(backoff);
                backoff = Math.min(backoff * 2, 5000);
            }
        }
        closeQuietly(listening);
    }

    private synchronized boolean revisionChanged() throws SQLException {
        return revision() != seenRevision;
    }

    private long revision() throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT revision FROM registry_revision WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Brings the local directory up to the database, then has {@code f} switch what differs. */
    private void sync(Follower f) throws SQLException, IOException {
        Map<String, Integer> switches = pull(f);
        for (Map.Entry<String, Integer> e : switches.entrySet()) {
            try {
                f.activate(e.getKey(), e.getValue());
            } catch (DigitsException ex) {
                LOG.warn("cannot serve version {} of '{}' that another replica activated: {}", e.getValue(), e.getKey(), ex.getMessage());
            }
        }
    }

    /**
     * Copies every version the local directory lacks; returns the models whose active version differs from the
     * local latest (applied to the directory right away when there is no follower yet, at start).
     */
    private synchronized Map<String, Integer> pull(Follower f) throws SQLException, IOException {
        long revision = revision();
        List<Object[]> versions = new ArrayList<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT model, number FROM versions ORDER BY model, number")) {
            while (rs.next()) versions.add(new Object[] {rs.getString(1), rs.getInt(2)});
        }
        for (Object[] v : versions) {
            String name = (String) v[0];
            int number = (Integer) v[1];
            if (local.contains(name) && local.model(name).has(number)) continue;
            Path staging = local.newStagingDirectory(name);
            try {
                try (PreparedStatement p = connection.prepareStatement("SELECT path, content FROM version_files WHERE model = ? AND number = ?")) {
                    p.setString(1, name);
                    p.setInt(2, number);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) {
                            Path target = staging.resolve(rs.getString(1)).normalize();
                            if (!target.startsWith(staging)) throw new SQLException("file path " + rs.getString(1) + " leaves its version");
                            Files.createDirectories(target.getParent());
                            Files.write(target, rs.getBytes(2));
                        }
                    }
                }
                local.commitAs(name, number, staging);
                LOG.info("registry database: copied version {} of '{}'", number, name);
            } finally {
                local.discard(staging);
            }
        }
        Map<String, Integer> differ = new LinkedHashMap<>();
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, active FROM models WHERE active IS NOT NULL")) {
            while (rs.next()) {
                String name = rs.getString(1);
                int active = rs.getInt(2);
                if (local.contains(name) && local.model(name).latest() != active) differ.put(name, active);
            }
        }
        if (f == null) {
            for (Map.Entry<String, Integer> e : differ.entrySet()) local.activate(e.getKey(), e.getValue());
            differ.clear();
        }
        seenRevision = revision;
        return differ;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    private <T> T inTransaction(Work<T> work) throws SQLException, IOException {
        Connection c = connection;
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static RegistryWriteException failure(String what, SQLException e) {
        return new RegistryWriteException(what, e);
    }

    private static void closeQuietly(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException e) {
            // Closing after a failure: nothing more to do.
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops following and closes the database connections. */
    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = follower;
        }
        if (t != null) {
            try {
                t.join(POLL_MILLIS * 3L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            closeQuietly(connection);
        }
    }
}
