package stationmaster.esnode.compat;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.common.logging.HeaderWarning;

/**
 * Stand-in for the Elasticsearch 7.10 {@code DeprecationLogger} API that the codelibs
 * 7.10.2 analysis-common module was compiled against (7.17 changed the signature of
 * {@code deprecate}). The Maven shade step rewrites that module's references to
 * {@code org.elasticsearch.common.logging.DeprecationLogger} to this class. It does what
 * the real one does for a caller: a {@code Warning} response header plus a log line.
 */
public final class DeprecationLogger {

    private final Logger logger;

    private DeprecationLogger(Logger logger) {
        this.logger = logger;
    }

    public static DeprecationLogger getLogger(Class<?> aClass) {
        return new DeprecationLogger(LogManager.getLogger("stationmaster.compat.deprecation." + aClass.getName()));
    }

    public static DeprecationLogger getLogger(String name) {
        return new DeprecationLogger(LogManager.getLogger("stationmaster.compat.deprecation." + name));
    }

    public DeprecationLoggerBuilder deprecate(String key, String msg, Object... params) {
        HeaderWarning.addWarning(msg, params);
        if (logger.isWarnEnabled()) {
            logger.warn("[" + key + "] " + msg, params);
        }
        return new DeprecationLoggerBuilder();
    }

    /** 7.10's fluent return type; nothing in analysis-common calls anything on it. */
    public static final class DeprecationLoggerBuilder {
        public DeprecationLoggerBuilder compatibleApiWarning(String key, String msg, Object... params) {
            return this;
        }
    }
}
