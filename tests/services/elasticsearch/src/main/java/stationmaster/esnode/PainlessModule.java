package stationmaster.esnode;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
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
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.ScriptPlugin;
import org.elasticsearch.repositories.RepositoriesService;
import org.elasticsearch.script.ScriptContext;
import org.elasticsearch.script.ScriptEngine;
import org.elasticsearch.script.ScriptService;
import org.elasticsearch.threadpool.ThreadPool;
import org.elasticsearch.watcher.ResourceWatcherService;
import org.elasticsearch.xcontent.NamedXContentRegistry;

/**
 * The Painless scripting module. Elastic does not publish lang-painless 7.17 to Maven
 * Central, so this wraps codelibs' 7.10.2 build of {@code PainlessPlugin} (a final
 * class, hence delegation). Everything but the {@code _scripts/painless/_execute} and
 * {@code _scripts/painless/_context} debugging APIs is passed through; those two are
 * left out because the execute action is bound to 7.10-only internals
 * (QueryShardContext, renamed in 7.11).
 */
public final class PainlessModule extends Plugin implements ScriptPlugin, ActionPlugin {

    private final Plugin delegate;

    public PainlessModule() throws ReflectiveOperationException {
        delegate = (Plugin) Class.forName("org.elasticsearch.painless.PainlessPlugin")
            .getDeclaredConstructor().newInstance();
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
