/*
 * VtlOracle: renders the differential corpus with real Apache Velocity 1.7.
 *
 * Usage:
 *   java -cp <out>:velocity-1.7.jar:commons-collections3.jar:commons-lang-2.6.jar \
 *        VtlOracle <corpus-dir> <context.json> [--print]
 *
 * Output (stdout): one JSON document
 *   {"velocity": "...", "java": "...", "cases": [ {case}, ... ]}
 * with, for every case in corpus order (files sorted by name, cases in file order):
 *   "file"    corpus file name,                  "name"  case name "<file stem>/<case>",
 *   "flags"   header flags (array of strings),
 *   "source"  the template exactly as read, UTF-8 bytes in lower-case hex,
 *   "status"  "ok" or "error",
 *   "output"  (ok) the rendered output encoded as UTF-8 (what goes on the wire;
 *             Java's encoder turns an unpaired surrogate into '?'), lower-case hex,
 *   "error"   (error) "parse: ..." / "render: ..." message, for reports only.
 * With --print, a human-readable listing goes to stdout instead.
 *
 * Corpus format (must stay identical to the Rust reader in tests/differential.rs):
 *   A line starting with "=== " starts a case: "=== <name> [flag ...]".
 *   Text before the first header is a comment. The template is everything after the
 *   header line up to the start of the next header line (or end of file), minus exactly
 *   one final "\n" if there is one. So a template that must end with a newline is
 *   followed by one blank line. Flags: "crlf" = every "\n" of the template becomes
 *   "\r\n"; "cr" = every "\n" becomes "\r"; "error" = the author expects Velocity to fail
 *   (checked by the Rust test, informative here). Corpus files contain no "\r" at all.
 *
 * Context (context.json, shared with the Rust side), JSON -> Java:
 *   object -> java.util.LinkedHashMap (insertion order), array -> java.util.ArrayList,
 *   string -> String, true/false -> Boolean, null -> null (the key is put with a null value),
 *   number without '.', 'e', 'E': Integer if it fits in int, else Long (must fit in long);
 *   number with '.', 'e' or 'E' -> Double (Double.parseDouble; "-0.0" stays negative zero).
 *   The top-level object's members become the VelocityContext entries.
 *
 * Engine: VelocityEngine with the stock 1.7 defaults; a fresh engine for every case whose
 * text contains "macro" (inline macros are global in 1.7 and would leak between cases), one
 * shared engine for the others (they cannot change engine state); a fresh context per case
 * (templates mutate maps and lists); logging to NullLogChute (nothing written to disk);
 * rendering with VelocityEngine.evaluate(context, writer, "<case name>", template).
 */

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.exception.ParseErrorException;
import org.apache.velocity.runtime.RuntimeConstants;

public final class VtlOracle {

    static final class Case {
        String file;
        String name;
        List<String> flags = new ArrayList<>();
        String source;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: VtlOracle <corpus-dir> <context.json> [--print]");
            System.exit(2);
        }
        Path corpusDir = Paths.get(args[0]);
        String contextJson = new String(Files.readAllBytes(Paths.get(args[1])), StandardCharsets.UTF_8);
        boolean print = args.length > 2 && args[2].equals("--print");
        // Validate the context once, up front.
        new Json(contextJson).parseDocument();

        List<Case> cases = readCorpus(corpusDir);
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        StringBuilder json = new StringBuilder();
        json.append("{\"velocity\":").append(quote(velocityVersion()));
        json.append(",\"java\":").append(quote(System.getProperty("java.version")));
        json.append(",\"cases\":[\n");
        boolean first = true;
        for (Case c : cases) {
            String status;
            String output = null;
            String error = null;
            try {
                output = render(c, contextJson);
                status = "ok";
            } catch (ParseErrorException e) {
                status = "error";
                error = "parse: " + e.getMessage();
            } catch (Throwable e) {
                status = "error";
                error = "render: " + e.getClass().getName() + ": " + e.getMessage();
            }
            if (print) {
                out.println("=== " + c.name + (c.flags.isEmpty() ? "" : " " + c.flags));
                out.println("--- template: " + visible(c.source));
                if (output != null) {
                    out.println("--- output:   " + visible(output));
                } else {
                    out.println("--- ERROR:    " + error.replace("\n", " | "));
                }
                continue;
            }
            if (!first) {
                json.append(",\n");
            }
            first = false;
            json.append("{\"file\":").append(quote(c.file));
            json.append(",\"name\":").append(quote(c.name));
            json.append(",\"flags\":[");
            for (int i = 0; i < c.flags.size(); i++) {
                json.append(i == 0 ? "" : ",").append(quote(c.flags.get(i)));
            }
            json.append("],\"source\":").append(quote(hex(c.source)));
            json.append(",\"status\":").append(quote(status));
            if (output != null) {
                json.append(",\"output\":").append(quote(hex(output)));
            } else {
                json.append(",\"error\":").append(quote(error));
            }
            json.append('}');
        }
        if (!print) {
            json.append("\n]}\n");
            out.print(json);
        }
        out.flush();
    }

    /** The version recorded in the jar's Maven metadata (the test insists on 1.7). */
    static String velocityVersion() {
        try (java.io.InputStream in = VelocityEngine.class.getResourceAsStream(
                "/META-INF/maven/org.apache.velocity/velocity/pom.properties")) {
            if (in != null) {
                java.util.Properties props = new java.util.Properties();
                props.load(in);
                String v = props.getProperty("version");
                if (v != null) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        Package p = VelocityEngine.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /** Shared by templates that cannot define macros (the only engine-global state a template changes). */
    static VelocityEngine sharedEngine;

    static VelocityEngine newEngine() throws Exception {
        VelocityEngine engine = new VelocityEngine();
        engine.setProperty(RuntimeConstants.RUNTIME_LOG_LOGSYSTEM_CLASS,
                "org.apache.velocity.runtime.log.NullLogChute");
        engine.init();
        return engine;
    }

    static String render(Case c, String contextJson) throws Exception {
        // Inline macros are global in 1.7: any template that could define one ("macro" appears
        // in #macro, #{macro} and in strings that #evaluate or interpolation could run) gets a
        // fresh engine; all other templates leave the engine as they found it.
        VelocityEngine engine;
        if (c.source.contains("macro")) {
            engine = newEngine();
        } else {
            if (sharedEngine == null) {
                sharedEngine = newEngine();
            }
            engine = sharedEngine;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) new Json(contextJson).parseDocument();
        VelocityContext ctx = new VelocityContext();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            ctx.put(e.getKey(), e.getValue());
        }
        StringWriter w = new StringWriter();
        engine.evaluate(ctx, w, c.name, c.source);
        return w.toString();
    }

    // ---------------------------------------------------------------- corpus

    static List<Case> readCorpus(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".vtlcases"))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .collect(Collectors.toList());
        }
        List<Case> all = new ArrayList<>();
        for (Path f : files) {
            String fileName = f.getFileName().toString();
            String stem = fileName.substring(0, fileName.length() - ".vtlcases".length());
            String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
            all.addAll(parseCases(fileName, stem, text));
        }
        return all;
    }

    static List<Case> parseCases(String fileName, String stem, String text) {
        if (text.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(fileName + ": contains \\r; use the crlf/cr flags");
        }
        // Offsets of lines that start with "=== ".
        List<Integer> headers = new ArrayList<>();
        int pos = 0;
        while (pos <= text.length()) {
            if (text.startsWith("=== ", pos)) {
                headers.add(pos);
            }
            int nl = text.indexOf('\n', pos);
            if (nl < 0) {
                break;
            }
            pos = nl + 1;
        }
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < headers.size(); i++) {
            int h = headers.get(i);
            int eol = text.indexOf('\n', h);
            String header = text.substring(h + 4, eol < 0 ? text.length() : eol);
            int bodyStart = eol < 0 ? text.length() : eol + 1;
            int bodyEnd = i + 1 < headers.size() ? headers.get(i + 1) : text.length();
            String body = bodyStart <= bodyEnd ? text.substring(bodyStart, bodyEnd) : "";
            if (body.endsWith("\n")) {
                body = body.substring(0, body.length() - 1);
            }
            String[] parts = header.trim().split(" +");
            Case c = new Case();
            c.file = fileName;
            c.name = stem + "/" + parts[0];
            for (int k = 1; k < parts.length; k++) {
                c.flags.add(parts[k]);
            }
            if (c.flags.contains("crlf")) {
                body = body.replace("\n", "\r\n");
            } else if (c.flags.contains("cr")) {
                body = body.replace("\n", "\r");
            }
            c.source = body;
            cases.add(c);
        }
        return cases;
    }

    // ---------------------------------------------------------------- output helpers

    static String hex(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    /** JSON string literal; non-ASCII escaped; unpaired surrogates become '?'. */
    static String quote(String s) {
        s = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20 || ch > 0x7e) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    /** For --print: shows whitespace and control characters. */
    static String visible(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                default:
                    if (ch < 0x20 || Character.isSurrogate(ch) && !Character.isSurrogatePair(
                            i > 0 ? s.charAt(i - 1) : 'x', ch) && !(i + 1 < s.length()
                            && Character.isSurrogatePair(ch, s.charAt(i + 1)))) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
            }
        }
        return sb.append('"').toString();
    }

    // ---------------------------------------------------------------- tiny JSON parser

    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parseDocument() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw err("trailing characters");
            }
            if (!(v instanceof Map)) {
                throw err("top level must be an object");
            }
            return v;
        }

        private RuntimeException err(String msg) {
            return new IllegalArgumentException("context.json: " + msg + " at offset " + i);
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw err("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    if (s.charAt(i) != '"') {
                        throw err("expected key");
                    }
                    String k = string();
                    ws();
                    expect(':');
                    Object v = value();
                    if (m.containsKey(k)) {
                        throw err("duplicate key " + k);
                    }
                    m.put(k, v);
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect('}');
                    return m;
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    expect(']');
                    return l;
                }
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            return number();
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) {
                throw err("expected '" + c + "'");
            }
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw err("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default:
                        throw err("bad escape");
                }
            }
        }

        private Object number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String t = s.substring(start, i);
            if (t.isEmpty()) {
                throw err("unexpected character");
            }
            if (t.indexOf('.') >= 0 || t.indexOf('e') >= 0 || t.indexOf('E') >= 0) {
                return Double.parseDouble(t);
            }
            long l = Long.parseLong(t);
            if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
                return Integer.valueOf((int) l);
            }
            return Long.valueOf(l);
        }
    }

    private VtlOracle() {
    }
}
