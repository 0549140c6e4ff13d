// Oracle for the apigw-javaregex differential test.
//
// Reads a request file (argument 1) and writes one answer line per request
// line to the answer file (argument 2). Both files are UTF-8 text; every
// string travels hex-encoded (UTF-8 bytes) so that any character, including
// line terminators and tabs, survives the trip.
//
// Request line:  OP \t hex(pattern) \t hex(input) \t hex(argument)
//   OP = C (compile only), M (Matcher.matches), F (all Matcher.find spans),
//        A (String.replaceAll), P (String.replaceFirst), S (String.split,
//        argument = decimal limit).
// Answer line:
//   E \t index \t hex(description)  the pattern does not compile
//   K                               compiled (op C)
//   T | N                           matches() true / false
//   L \t s,e;s,e;...                find spans as UTF-8 byte offsets
//   R \t hex(result)                replaceAll / replaceFirst result
//   X \t hex(message)               the replacement threw
//   S \t n \t hex,hex,...           split result
//   O                               StackOverflowError
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

public final class JavaRegexOracle {
    private static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String hex(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    private static int utf8Offset(String s, int utf16) {
        return s.substring(0, utf16).getBytes(StandardCharsets.UTF_8).length;
    }

    private static String answer(String op, String pattern, String input, String arg) {
        Pattern p;
        try {
            p = Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            return "E\t" + e.getIndex() + "\t" + hex(e.getDescription());
        }
        switch (op) {
            case "C":
                return "K";
            case "M":
                return p.matcher(input).matches() ? "T" : "N";
            case "F": {
                Matcher m = p.matcher(input);
                StringBuilder sb = new StringBuilder("L\t");
                int n = 0;
                while (m.find() && n < 1000) {
                    sb.append(utf8Offset(input, m.start())).append(',')
                      .append(utf8Offset(input, m.end())).append(';');
                    n++;
                }
                return sb.toString();
            }
            case "A":
            case "P":
                try {
                    Matcher m = p.matcher(input);
                    String r = op.equals("A") ? m.replaceAll(arg) : m.replaceFirst(arg);
                    return "R\t" + hex(r);
                } catch (RuntimeException e) {
                    return "X\t" + hex(String.valueOf(e.getMessage()));
                }
            case "S": {
                String[] parts = p.split(input, Integer.parseInt(arg));
                StringBuilder sb = new StringBuilder("S\t" + parts.length + "\t");
                for (String part : parts) {
                    sb.append(hex(part)).append(',');
                }
                return sb.toString();
            }
            default:
                throw new IllegalArgumentException("unknown op " + op);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            String r;
            try {
                r = answer(f[0], unhex(f[1]), unhex(f[2]), unhex(f[3]));
            } catch (StackOverflowError e) {
                r = "O";
            }
            out.add(r);
        }
        Files.write(Paths.get(args[1]), out, StandardCharsets.UTF_8);
    }
}
