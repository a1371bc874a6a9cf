package dev.cloudrun.egress.validation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The API server's verdict on a custom resource sent as kubectl sends it (strict field validation),
 * from {@link CrdValidator#reviewCreate} or {@link CrdValidator#reviewUpdate}.
 *
 * <p>Refusals come in steps, and each stops the request: metadata of the wrong JSON type is refused
 * by kubectl itself ("unable to decode"), fields the schema does not declare by the server's
 * decoder (400 BadRequest, "strict decoding error"); only then does the server validate (422
 * Invalid). To show everything at once, each step here is judged as if the earlier ones passed:
 * {@link #errors} holds what the server reports once the fields of the earlier steps are removed.
 *
 * @param kind the resource's kind, e.g. CloudRunEgressJob
 * @param version the CRD version, e.g. v1alpha1
 * @param name metadata.name
 * @param malformed metadata kubectl cannot decode, in Go's JSON decoder's words, or null
 * @param unknownFields the fields the schema does not declare, e.g. spec.foo, as the server sorts them
 * @param errors the server's causes: metadata, schema, then CEL rules
 */
public record Review(String kind, String version, String name, String malformed, List<String> unknownFields, List<FieldError> errors) {

  public Review {
    unknownFields = List.copyOf(unknownFields);
    errors = List.copyOf(errors);
  }

  public boolean admitted() {
    return malformed == null && unknownFields.isEmpty() && errors.isEmpty();
  }

  /** The server's strict decoding error (a BadRequest Status's message), or null without unknown fields. */
  public String decodingError() {
    if (unknownFields.isEmpty()) {
      return null;
    }
    return "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s".formatted(kind, version, kind,
        unknownFields.stream().map(f -> "unknown field \"" + f + "\"").collect(Collectors.joining(", ")));
  }

  /** The causes as kubectl prints them, "FIELD: MESSAGE", duplicates dropped as kubectl does. */
  public List<String> causes() {
    return new ArrayList<>(new LinkedHashSet<>(errors.stream().map(FieldError::toString).toList()));
  }

  /**
   * What {@code kubectl apply -f FILE} (or create) prints when this new object is refused, one
   * entry per step (see above): the first is what kubectl prints, each further one what it prints
   * once the earlier are fixed. Empty when admitted.
   */
  public List<String> kubectlErrors(String file) {
    List<String> printed = new ArrayList<>();
    if (malformed != null) {
      printed.add("error: unable to decode \"" + file + "\": " + malformed);
    }
    if (decodingError() != null) {
      printed.add("Error from server (BadRequest): error when creating \"" + file + "\": " + decodingError());
    }
    List<String> causes = causes();
    if (causes.size() == 1) {
      printed.add("The %s \"%s\" is invalid: %s".formatted(kind, name, causes.get(0)));
    } else if (!causes.isEmpty()) {
      // kubectl's MultilineError, trailing space included
      printed.add("The %s \"%s\" is invalid: \n* %s".formatted(kind, name, String.join("\n* ", causes)));
    }
    return printed;
  }
}
