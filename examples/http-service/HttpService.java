import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import clojure.lang.IFn;
import clojure.lang.Keyword;
import clojure.lang.RT;
import entangle.Entangle;
import entangle.UndefinedVarException;

/**
 * A Java HTTP service (the JDK's own server) whose handler is the shared var
 * service.http/handler: define or redefine it at any member's REPL, and the running service
 * answers with the new code, with no restart.
 *
 * <pre>
 * java -Djdk.attach.allowAttachSelf=true -XX:+EnableDynamicAgentLoading -cp "$(clojure -Spath)" examples/http-service/HttpService.java 8080
 * </pre>
 *
 * The service joins the cluster as the ENTANGLE_* environment variables say (the defaults:
 * cluster "entangle" on 127.0.0.1), as a Hazelcast client with ENTANGLE_CLIENT=true. The
 * handler takes a map {:method :path :query :body} and returns a string, or a map
 * {:status :headers :body}.
 */
public class HttpService {
    private static final Keyword STATUS = Keyword.intern("status");
    private static final Keyword HEADERS = Keyword.intern("headers");
    private static final Keyword BODY = Keyword.intern("body");

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        Entangle cluster = Entangle.join();
        IFn handler = cluster.var("service.http", "handler");

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", exchange -> {
            try {
                respond(exchange, handler.invoke(request(exchange)));
            } catch (UndefinedVarException notDefined) {
                respond(exchange, RT.map(STATUS, 503L, BODY, notDefined.getMessage() + "\n"));
            } catch (RuntimeException e) {
                respond(exchange, RT.map(STATUS, 500L, BODY, "the handler threw " + e + "\n"));
            }
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            cluster.close();
        }));
        System.out.println("serving http://127.0.0.1:" + port + "/ with service.http/handler; member "
            + cluster.address() + " of " + cluster.members().size() + " members");
    }

    private static Object request(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        return RT.map(Keyword.intern("method"), exchange.getRequestMethod().toLowerCase(),
                      Keyword.intern("path"), exchange.getRequestURI().getPath(),
                      Keyword.intern("query"), exchange.getRequestURI().getQuery(),
                      Keyword.intern("body"), body);
    }

    private static void respond(HttpExchange exchange, Object response) throws IOException {
        int status = 200;
        Object body = response;
        if (response instanceof Map<?, ?> m) {
            status = m.get(STATUS) instanceof Number n ? n.intValue() : 200;
            body = m.get(BODY);
            if (m.get(HEADERS) instanceof Map<?, ?> headers) {
                headers.forEach((k, v) -> exchange.getResponseHeaders()
                    .add(k instanceof Keyword kw ? kw.getName() : String.valueOf(k), String.valueOf(v)));
            }
        }
        byte[] bytes = String.valueOf(body == null ? "" : body).getBytes(StandardCharsets.UTF_8);
        if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
