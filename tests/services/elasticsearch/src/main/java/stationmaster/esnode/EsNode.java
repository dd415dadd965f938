package stationmaster.esnode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;

/**
 * Starts one real Elasticsearch 7.17 node inside this JVM, with the modules it needs
 * loaded as classpath plugins (the technique codelibs' cluster-runner uses). No security
 * manager, no bootstrap checks, no seccomp: {@link Node} is used directly, not Bootstrap.
 *
 * <pre>
 * java -Xms512m -Xmx512m -cp 'target/es-node.jar:target/lib/*' stationmaster.esnode.EsNode \
 *      --port 9250 --base /tmp/es-base [-Ekey=value ...] [--exit-with-parent PID]
 * </pre>
 *
 * <ul>
 * <li>--port 0 lets the OS pick the HTTP port (the transport port is always OS-picked);</li>
 * <li>data goes to BASE/data, logs to BASE/logs, a generated log4j2.properties to BASE/config;</li>
 * <li>-Ekey=value are node settings, applied over the defaults below;</li>
 * <li>--exit-with-parent PID stops the node once that process is gone, so a test run that
 *     dies leaves no JVM behind.</li>
 * </ul>
 * When the node is up it prints a line ending in {@code ES_NODE_READY http://127.0.0.1:PORT};
 * on SIGTERM/SIGINT it closes the node and prints {@code ES_NODE_STOPPED}.
 */
public final class EsNode {

    /** Modules loaded into the node (skip one with --no-plugin CLASS). */
    private static final String[] PLUGINS = {
        "org.elasticsearch.transport.Netty4Plugin",
        "org.elasticsearch.reindex.ReindexPlugin",
        "stationmaster.esnode.PainlessModule",
        "org.elasticsearch.analysis.common.CommonAnalysisPlugin",
        "org.elasticsearch.ingest.common.IngestCommonPlugin",
        "org.elasticsearch.index.mapper.MapperExtrasPlugin",
        "org.elasticsearch.join.ParentJoinPlugin",
        "org.elasticsearch.percolator.PercolatorPlugin",
        "org.elasticsearch.script.mustache.MustachePlugin",
        "org.elasticsearch.search.aggregations.matrix.MatrixAggregationPlugin",
        "org.elasticsearch.index.rankeval.RankEvalPlugin",
    };

    /** Node subclass only to reach the protected constructor taking classpath plugins. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    /**
     * Settings of modules this node does not have (x-pack, ingest-geoip). A real 7.17
     * node started with e.g. xpack.security.enabled=false or
     * ingest.geoip.downloader.enabled=false accepts them; here they would fail with
     * "unknown setting", so they are dropped and logged instead.
     */
    private static boolean isIgnored(String key) {
        return key.startsWith("xpack.") || key.startsWith("ingest.geoip.");
    }

    /** Stops this JVM (cleanly, through the shutdown hook) once process {@code pid} is gone. */
    private static void watchParent(long pid) {
        Thread t = new Thread(() -> {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            LogManager.getLogger(EsNode.class).warn("parent process {} is gone, stopping", pid);
            System.exit(0);
        }, "es-node-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    private static void usage(String msg) {
        System.err.println("error: " + msg);
        System.err.println("usage: EsNode --port PORT --base DIR [-Ekey=value ...] [--exit-with-parent PID]"
            + " [--no-plugin CLASS ...]");
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        // What bin/elasticsearch would pass; must be set before log4j starts. Log4j's own
        // shutdown hook would otherwise stop logging before the node has closed.
        System.setProperty("log4j.shutdownHookEnabled", System.getProperty("log4j.shutdownHookEnabled", "false"));
        System.setProperty("log4j2.disable.jmx", System.getProperty("log4j2.disable.jmx", "true"));
        System.setProperty("log4j2.formatMsgNoLookups", System.getProperty("log4j2.formatMsgNoLookups", "true"));
        String port = null;
        Path base = null;
        Settings.Builder extra = Settings.builder();
        List<String> skip = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        long parentPid = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--port") && i + 1 < args.length) {
                port = args[++i];
            } else if (a.equals("--base") && i + 1 < args.length) {
                base = Paths.get(args[++i]).toAbsolutePath();
            } else if (a.equals("--exit-with-parent") && i + 1 < args.length) {
                parentPid = Long.parseLong(args[++i]);
            } else if (a.equals("--no-plugin") && i + 1 < args.length) {
                skip.add(args[++i]);
            } else if (a.startsWith("-E") && a.indexOf('=') > 2) {
                int eq = a.indexOf('=');
                String key = a.substring(2, eq);
                if (isIgnored(key)) {
                    ignored.add(key);
                } else {
                    extra.put(key, a.substring(eq + 1));
                }
            } else {
                usage("unexpected argument " + a);
            }
        }
        if (port == null || base == null) {
            usage("--port and --base are required");
        }

        Path config = base.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(base.resolve("data"));
        Files.createDirectories(base.resolve("logs"));

        Settings settings = Settings.builder()
            .put("path.home", base.toString())
            .put("path.data", base.resolve("data").toString())
            .put("path.logs", base.resolve("logs").toString())
            .put("cluster.name", "stationmaster-test")
            .put("node.name", "es-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            .put("bootstrap.memory_lock", false)
            // a test machine's disk may be fuller than the 85%/90%/95% watermarks
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // The caller's -E settings win over the defaults above.
            .put(extra.build())
            .build();

        // Same console format and deprecation handling as the stock 7.17 log4j2.properties:
        // deprecation messages become "Warning:" response headers, as on a real node.
        Files.write(config.resolve("log4j2.properties"), String.join("\n",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
            "rootLogger.level = " + settings.get("logger.level", "info"),
            "rootLogger.appenderRef.console.ref = console",
            "appender.header_warning.type = HeaderWarningAppender",
            "appender.header_warning.name = header_warning",
            "logger.deprecation.name = org.elasticsearch.deprecation",
            "logger.deprecation.level = WARN",
            "logger.deprecation.appenderRef.console.ref = console",
            "logger.deprecation.appenderRef.header_warning.ref = header_warning",
            "logger.deprecation.additivity = false",
            "").getBytes(StandardCharsets.UTF_8));

        if (parentPid > 0) {
            watchParent(parentPid);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Node node;
        try {
            List<Class<? extends Plugin>> plugins = new ArrayList<>();
            for (String name : PLUGINS) {
                if (!skip.contains(name)) {
                    plugins.add(Class.forName(name).asSubclass(Plugin.class));
                }
            }
            Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), config, () -> "es-node");
            LogConfigurator.registerErrorListener();
            LogConfigurator.setNodeName(env.settings().get("node.name"));
            LogConfigurator.configure(env);
            for (String key : ignored) {
                LogManager.getLogger(EsNode.class).info("ignoring setting [{}]: its module is not part of this node", key);
            }
            node = new EmbeddedNode(env, plugins);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                    node.awaitClose(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    System.out.println("ES_NODE_STOPPED");
                    System.out.flush();
                    stopped.countDown();
                }
            }, "es-node-shutdown"));
            node.start();
        } catch (Throwable t) {
            // Start-up failed: report and exit at once. Some node threads are not daemons
            // and would otherwise keep a half-built node alive.
            System.err.println("ES_NODE_FAILED " + t);
            t.printStackTrace();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        TransportAddress http = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress();
        System.out.println("ES_NODE_READY http://127.0.0.1:" + http.getPort());
        System.out.flush();
        stopped.await();
    }
}
