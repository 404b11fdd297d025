package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;

import java.util.List;
import java.util.Map;

/** Typed reads of parsed JSON values, each failing with the field's name. */
final class Fields {
    private Fields() {
    }

    static Map<?, ?> object(Object v, String field) {
        if (v instanceof Map) return (Map<?, ?>) v;
        throw new InvalidInputException(field + " must be a JSON object, was " + describe(v));
    }

    static List<?> list(Object v, String field) {
        if (v instanceof List) return (List<?>) v;
        throw new InvalidInputException(field + " must be a JSON array, was " + describe(v));
    }

    static String text(Object v, String field) {
        if (v instanceof String) return (String) v;
        throw new InvalidInputException(field + " must be a string, was " + describe(v));
    }

    static String optionalText(Object v, String field) {
        return v == null ? null : text(v, field);
    }

    static Number number(Object v, String field) {
        if (v instanceof Number) return (Number) v;
        throw new InvalidInputException(field + " must be a number, was " + describe(v));
    }

    static int integer(Object v, String field) {
        Number n = number(v, field);
        if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
            throw new InvalidInputException(field + " must be an integer, was " + n);
        }
        return n.intValue();
    }

    static String sha256(Object v, String field) {
        String s = text(v, field);
        if (!s.matches("[0-9a-f]{64}")) throw new InvalidInputException(field + " must be a sha256 in lowercase hex, was '" + s + "'");
        return s;
    }

    private static String describe(Object v) {
        return v == null ? "missing" : v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
    }
}
