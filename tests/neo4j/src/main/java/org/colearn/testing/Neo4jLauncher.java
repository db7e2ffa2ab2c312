package org.colearn.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Starts Neo4j Community embedded for colearn's tests.
 *
 * <p>Usage: {@code java -cp ... org.colearn.testing.Neo4jLauncher HOME_DIR}, with the
 * password in the environment variable {@code NEO4J_LAUNCHER_PASSWORD}. Bolt listens
 * on a free 127.0.0.1 port chosen by the operating system, with authentication on
 * (user {@code neo4j}); all files go under HOME_DIR; a lock wait ends after 5 s. When the server answers, one line
 * {@code colearn-neo4j ready bolt://127.0.0.1:PORT} is printed to standard output;
 * SIGTERM (or SIGINT), or the end of the parent process, shuts the server down cleanly
 * and prints {@code colearn-neo4j stopped}.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Neo4jLauncher HOME_DIR (password in NEO4J_LAUNCHER_PASSWORD)");
            System.exit(2);
        }
        String password = System.getenv("NEO4J_LAUNCHER_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("NEO4J_LAUNCHER_PASSWORD must be set (8 characters or more)");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, 128L * 1024 * 1024)
                // A transaction waits at most this long for a lock, then fails with a
                // TransientError (LockAcquisitionTimeout) that the driver retries; the
                // tests use it to check what exhausted retries become.
                .setConfig(GraphDatabaseSettings.lock_acquisition_timeout, Duration.ofSeconds(5))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        // Never outlive the test session that started us, even if it was killed.
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            System.out.println("colearn-neo4j stopped");
            System.out.flush();
            stopped.countDown();
        }));
        // A fresh home has user neo4j with password "neo4j" that must be changed
        // before use; set the given one directly on the system database.
        dbms.database("system").executeTransactionally(
                "ALTER USER neo4j IF EXISTS SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        int port = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT)
                .getPort();
        System.out.println("colearn-neo4j ready bolt://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}
