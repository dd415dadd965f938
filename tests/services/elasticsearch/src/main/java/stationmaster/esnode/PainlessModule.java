package stationmaster.esnode;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.ActionResponse;
import org.elasticsearch.client.Client;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.env.NodeEnvironment;
import org.elasticsearch.painless.spi.PainlessExtension;
import org.elasticsearch.painless.spi.Whitelist;
import org.elasticsearch.painless.spi.WhitelistLoader;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.ExtensiblePlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.ScriptPlugin;
import org.elasticsearch.repositories.RepositoriesService;
import org.elasticsearch.script.BooleanFieldScript;
import org.elasticsearch.script.CompositeFieldScript;
import org.elasticsearch.script.DateFieldScript;
import org.elasticsearch.script.DoubleFieldScript;
import org.elasticsearch.script.GeoPointFieldScript;
import org.elasticsearch.script.IpFieldScript;
import org.elasticsearch.script.LongFieldScript;
import org.elasticsearch.script.ScriptContext;
import org.elasticsearch.script.ScriptEngine;
import org.elasticsearch.script.ScriptService;
import org.elasticsearch.script.StringFieldScript;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.watcher.ResourceWatcherService;
import org.elasticsearch.xcontent.NamedXContentRegistry;

/**
 * The Painless scripting module. Elastic does not publish lang-painless 7.17 to Maven
 * Central, so this wraps codelibs' 7.10.2 build of {@code PainlessPlugin} (a final
 * class, hence delegation) and adds whitelists for the runtime-field script contexts
 * that 7.10 did not have. Everything but the {@code _scripts/painless/_execute} and
 * {@code _scripts/painless/_context} debugging APIs is passed through; those two are
 * left out because the execute action is bound to 7.10-only internals
 * (QueryShardContext, renamed in 7.11).
 */
public final class PainlessModule extends Plugin implements ScriptPlugin, ActionPlugin {

    private final Plugin delegate;

    /** Script contexts that are new since 7.10 (runtime fields) and their whitelist files. */
    private static final Map<ScriptContext<?>, String> RUNTIME_FIELD_CONTEXTS = new LinkedHashMap<>();
    static {
        RUNTIME_FIELD_CONTEXTS.put(LongFieldScript.CONTEXT, "runtime_fields.long.txt");
        RUNTIME_FIELD_CONTEXTS.put(DoubleFieldScript.CONTEXT, "runtime_fields.double.txt");
        RUNTIME_FIELD_CONTEXTS.put(DateFieldScript.CONTEXT, "runtime_fields.date.txt");
        RUNTIME_FIELD_CONTEXTS.put(StringFieldScript.CONTEXT, "runtime_fields.keyword.txt");
        RUNTIME_FIELD_CONTEXTS.put(BooleanFieldScript.CONTEXT, "runtime_fields.boolean.txt");
        RUNTIME_FIELD_CONTEXTS.put(IpFieldScript.CONTEXT, "runtime_fields.ip.txt");
        RUNTIME_FIELD_CONTEXTS.put(GeoPointFieldScript.CONTEXT, "runtime_fields.geo_point.txt");
        RUNTIME_FIELD_CONTEXTS.put(CompositeFieldScript.CONTEXT, "runtime_fields.composite.txt");
    }

    public PainlessModule() throws ReflectiveOperationException {
        delegate = (Plugin) Class.forName("org.elasticsearch.painless.PainlessPlugin")
            .getDeclaredConstructor().newInstance();
        // Classpath plugins get no extension loading from the node, so hand Painless the
        // runtime-field whitelists (emit(...)) directly, through its extension point.
        PainlessExtension runtimeFields = () -> {
            Map<ScriptContext<?>, List<Whitelist>> map = new LinkedHashMap<>();
            RUNTIME_FIELD_CONTEXTS.forEach((context, file) -> map.put(context,
                Collections.singletonList(WhitelistLoader.loadFromResourceFiles(PainlessModule.class, file))));
            return map;
        };
        ((ExtensiblePlugin) delegate).loadExtensions(new ExtensiblePlugin.ExtensionLoader() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> List<T> loadExtensions(Class<T> extensionPointType) {
                return extensionPointType == PainlessExtension.class
                    ? Collections.singletonList((T) runtimeFields)
                    : Collections.emptyList();
            }
        });
    }

    @Override
    public ScriptEngine getScriptEngine(Settings settings, Collection<ScriptContext<?>> contexts) {
        return ((ScriptPlugin) delegate).getScriptEngine(settings, contexts);
    }

    @Override
    public List<ScriptContext<?>> getContexts() {
        return ((ScriptPlugin) delegate).getContexts();
    }

    @Override
    public List<Setting<?>> getSettings() {
        return delegate.getSettings();
    }

    @Override
    public Collection<Object> createComponents(Client client, ClusterService clusterService, ThreadPool threadPool,
                                               ResourceWatcherService resourceWatcherService, ScriptService scriptService,
                                               NamedXContentRegistry xContentRegistry, Environment environment,
                                               NodeEnvironment nodeEnvironment, NamedWriteableRegistry namedWriteableRegistry,
                                               IndexNameExpressionResolver indexNameExpressionResolver,
                                               Supplier<RepositoriesService> repositoriesServiceSupplier) {
        return delegate.createComponents(client, clusterService, threadPool, resourceWatcherService, scriptService,
            xContentRegistry, environment, nodeEnvironment, namedWriteableRegistry, indexNameExpressionResolver,
            repositoriesServiceSupplier);
    }

    @Override
    public List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        return Collections.emptyList();
    }
}
