package stationmaster.esnode5;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * One real Elasticsearch 5.6 node in this JVM, the Netty 4 transport loaded as a classpath
 * plugin; {@link Node} is used directly (no Bootstrap: no security manager, no bootstrap
 * checks). Usage: {@code Es5Node --port HTTP --transport-port PORT --base DIR [-Ekey=value ...]
 * [--exit-with-parent PID]}. Prints {@code ES5_NODE_READY} when started.
 */
public final class Es5Node {

    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins);
        }
    }

    private static void watchParent(long pid) {
        Thread t = new Thread(() -> {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.exit(0);
        }, "es5-node-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        String port = null;
        String transportPort = "9300-9400";
        Path base = null;
        long parentPid = -1;
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--port") && i + 1 < args.length) {
                port = args[++i];
            } else if (a.equals("--transport-port") && i + 1 < args.length) {
                transportPort = args[++i];
            } else if (a.equals("--base") && i + 1 < args.length) {
                base = Paths.get(args[++i]).toAbsolutePath();
            } else if (a.equals("--exit-with-parent") && i + 1 < args.length) {
                parentPid = Long.parseLong(args[++i]);
            } else if (a.startsWith("-E") && a.indexOf('=') > 2) {
                int eq = a.indexOf('=');
                extra.put(a.substring(2, eq), a.substring(eq + 1));
            } else {
                System.err.println("unexpected argument " + a);
                System.exit(2);
            }
        }
        if (port == null || base == null) {
            System.err.println("--port and --base are required");
            System.exit(2);
        }
        Path config = base.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(base.resolve("data"));
        Files.createDirectories(base.resolve("logs"));
        Files.write(config.resolve("log4j2.properties"), String.join("\n",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %marker%m%n",
            "rootLogger.level = info",
            "rootLogger.appenderRef.console.ref = console",
            "").getBytes(StandardCharsets.UTF_8));
        Settings settings = Settings.builder()
            .put("path.home", base.toString())
            .put("path.data", base.resolve("data").toString())
            .put("path.logs", base.resolve("logs").toString())
            .put("cluster.name", "stationmaster-es5-test")
            .put("node.name", "es5-node")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.tcp.port", transportPort)
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("bootstrap.memory_lock", false)
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put(extra.build())
            .build();
        if (parentPid > 0) {
            watchParent(parentPid);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            Environment env = InternalSettingsPreparer.prepareEnvironment(settings, null);
            LogConfigurator.registerErrorListener();
            LogConfigurator.configure(env);
            List<Class<? extends Plugin>> plugins = new ArrayList<>();
            plugins.add(Netty4Plugin.class);
            Node node = new EmbeddedNode(env, plugins);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    System.out.println("ES5_NODE_STOPPED");
                    System.out.flush();
                    stopped.countDown();
                }
            }, "es5-node-shutdown"));
            node.start();
        } catch (Throwable t) {
            System.err.println("ES5_NODE_FAILED " + t);
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return;
        }
        System.out.println("ES5_NODE_READY http://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}
