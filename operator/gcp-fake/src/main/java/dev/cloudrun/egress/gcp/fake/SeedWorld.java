package dev.cloudrun.egress.gcp.fake;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.cloud.compute.v1.Address;
import com.google.cloud.compute.v1.Firewall;
import com.google.cloud.compute.v1.Router;
import com.google.cloud.compute.v1.Subnetwork;
import com.google.cloud.vpcaccess.v1.Connector;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A world for the fake from a YAML file: what no API creates (networks, subnetworks, the names the
 * egress probe resolves) is put in directly; everything else is created through the fake's own REST
 * surface, in the REST JSON shape of its API, as its owner's tool would (gcloud, Terraform, the
 * console), and the fake clock is moved on until each section's operations are done.
 *
 * <pre>{@code
 * networks:        [{project: p, name: vpc}]
 * subnetworks:     [{project: p, region: r, name: s, network: vpc, ipCidrRange: 10.0.0.0/24}]   # + any Subnetwork field
 * dns:             {github.com: 140.82.112.3}
 * addresses:       [{project: p, region: r, name: a}]                                           # + Address fields
 * firewalls:       [{project: p, name: f, network: vpc, allowed: [{IPProtocol: tcp}]}]         # + Firewall fields
 * routers:         [{project: p, region: r, name: rt, network: vpc, nats: [...]}]               # + Router fields
 * connectors:      [{name: projects/p/locations/r/connectors/c, network: vpc, ...}]             # Connector
 * runJobs:         [{name: projects/p/locations/r/jobs/j, template: {...}}]                     # Cloud Run v2 Job
 * schedulerJobs:   [{name: projects/p/locations/r/jobs/s, schedule: "0 3 * * *", ...}]          # Cloud Scheduler Job
 * }</pre>
 *
 * Sections are applied in that order whatever their order in the file (an address before the NAT
 * that names it, a network before its subnets), the entries of a section in file order. Compute
 * entries name their {@code project} (and {@code region}) beside the resource's own fields; the
 * others carry their full resource {@code name}, as GCP prints it. A field no resource has is an
 * error, so is an entry the API refuses or whose operation fails: each error names the file, the
 * line, the section and entry, and the field.
 */
public final class SeedWorld {
  private static final String EXAMPLES = "examples-world.yaml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonFormat.Parser STRICT = JsonFormat.parser();
  private static final List<String> SECTIONS =
      List.of("networks", "subnetworks", "dns", "addresses", "firewalls", "routers", "connectors", "runJobs", "schedulerJobs");
  private static final Pattern CONNECTOR = Pattern.compile("projects/([^/]+)/locations/([^/]+)/connectors/([^/]+)");
  private static final Pattern JOB = Pattern.compile("projects/([^/]+)/locations/([^/]+)/jobs/([^/]+)");

  /** One entry of a section, with the line it starts on. */
  private record Entry(String source, String section, int index, int line, String key, JsonNode value) {
    String where() {
      return source + " line " + line + ", " + section + (key != null ? " '" + key + "'" : "[" + index + "]");
    }
  }

  /** A seed file that cannot be applied; the message says where and why. */
  public static final class SeedException extends IllegalArgumentException {
    SeedException(String message) {
      super(message);
    }
  }

  private final FakeGcp gcp;
  private final List<String> applied = new ArrayList<>();

  private SeedWorld(FakeGcp gcp) {
    this.gcp = gcp;
  }

  /** The world the examples in examples/ expect to find (examples-world.yaml, beside this class). */
  public static List<String> examples(FakeGcp gcp) {
    try (InputStream yaml = SeedWorld.class.getResourceAsStream(EXAMPLES)) {
      return apply(gcp, yaml, EXAMPLES);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Applies the file; one line per object made, for the user to read. */
  public static List<String> apply(FakeGcp gcp, Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return apply(gcp, in, file.toString());
    } catch (IOException e) {
      throw new SeedException(file + (e instanceof java.nio.file.NoSuchFileException ? ": no such file." : ": cannot be read: " + e.getMessage()));
    }
  }

  /** {@code source} names the YAML in error messages (a file name). */
  public static List<String> apply(FakeGcp gcp, InputStream yaml, String source) {
    Map<String, List<Entry>> sections = read(yaml, source);
    SeedWorld seed = new SeedWorld(gcp);
    for (String section : SECTIONS) {
      List<Entry> entries = sections.getOrDefault(section, List.of());
      if (!entries.isEmpty()) {
        seed.apply(section, entries);
      }
    }
    return List.copyOf(seed.applied);
  }

  // ---- reading: the YAML's entries with their lines ----

  private static Map<String, List<Entry>> read(InputStream yaml, String source) {
    Map<String, List<Entry>> sections = new LinkedHashMap<>();
    try (JsonParser parser = YAML.getFactory().createParser(yaml)) {
      JsonToken root = parser.nextToken();
      if (root == null) {
        return sections;
      }
      if (root != JsonToken.START_OBJECT) {
        throw new SeedException(source + " line " + line(parser) + ": the file must be a map of sections " + SECTIONS);
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String section = parser.currentName();
        int sectionLine = line(parser);
        if (!SECTIONS.contains(section)) {
          throw new SeedException(source + " line " + sectionLine + ": unknown section '" + section + "'; the sections are " + SECTIONS);
        }
        if (sections.containsKey(section)) {
          throw new SeedException(source + " line " + sectionLine + ": section '" + section + "' appears twice");
        }
        List<Entry> entries = new ArrayList<>();
        sections.put(section, entries);
        JsonToken start = parser.nextToken();
        if (start == JsonToken.VALUE_NULL) {
          continue;
        }
        if (section.equals("dns")) {
          expect(start == JsonToken.START_OBJECT, source, parser, "section 'dns' must be a map of host name to IPv4 address");
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String host = parser.currentName();
            int line = line(parser);
            parser.nextToken();
            entries.add(new Entry(source, section, entries.size(), line, host, YAML.readTree(parser)));
          }
        } else {
          expect(start == JsonToken.START_ARRAY, source, parser, "section '" + section + "' must be a list of entries");
          while (parser.nextToken() != JsonToken.END_ARRAY) {
            int line = line(parser);
            JsonNode value = YAML.readTree(parser);
            Entry entry = new Entry(source, section, entries.size(), line, null, value);
            if (!value.isObject()) {
              throw new SeedException(entry.where() + ": an entry must be a map of fields");
            }
            entries.add(entry);
          }
        }
      }
    } catch (IOException e) {
      throw new SeedException(source + ": not YAML: " + e.getMessage());
    }
    return sections;
  }

  private static int line(JsonParser parser) {
    return parser.currentTokenLocation().getLineNr();
  }

  private static void expect(boolean condition, String source, JsonParser parser, String message) {
    if (!condition) {
      throw new SeedException(source + " line " + line(parser) + ": " + message);
    }
  }

  // ---- applying ----

  private void apply(String section, List<Entry> entries) {
    switch (section) {
      case "networks" -> entries.forEach(this::network);
      case "subnetworks" -> entries.forEach(this::subnetwork);
      case "dns" -> entries.forEach(this::dns);
      case "addresses" -> compute(entries, "addresses", Address.newBuilder(), true);
      case "firewalls" -> compute(entries, "firewalls", Firewall.newBuilder(), false);
      case "routers" -> compute(entries, "routers", Router.newBuilder(), true);
      case "connectors" -> connectors(entries);
      case "runJobs" -> runJobs(entries);
      case "schedulerJobs" -> schedulerJobs(entries);
      default -> throw new IllegalStateException(section);
    }
  }

  private void network(Entry entry) {
    ObjectNode fields = fields(entry);
    String project = take(entry, fields, "project");
    String name = take(entry, fields, "name");
    noneLeft(entry, fields);
    guard(entry, () -> gcp.seedNetwork(project, name));
    applied.add("network projects/" + project + "/global/networks/" + name);
  }

  private void subnetwork(Entry entry) {
    ObjectNode fields = fields(entry);
    String project = take(entry, fields, "project");
    String region = take(entry, fields, "region");
    required(entry, fields, "name");
    required(entry, fields, "network");
    required(entry, fields, "ipCidrRange");
    Subnetwork subnet = (Subnetwork) strict(entry, fields, Subnetwork.newBuilder());
    guard(entry, () -> gcp.seedSubnetwork(project, region, subnet));
    applied.add("subnetwork projects/" + project + "/regions/" + region + "/subnetworks/" + subnet.getName() + " (" + subnet.getIpCidrRange()
        + ", " + subnet.getNetwork() + ")");
  }

  private void dns(Entry entry) {
    if (!entry.value().isTextual() || !entry.value().asText().matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      throw new SeedException(entry.where() + ": the address must be an IPv4 address, got " + entry.value());
    }
    gcp.run().egressProbe().resolve(entry.key(), entry.value().asText());
    applied.add("DNS " + entry.key() + " " + entry.value().asText());
  }

  /** Compute inserts: each entry's {@code project} (and {@code region}) place it; the rest is the resource. */
  private void compute(List<Entry> entries, String collection, Message.Builder type, boolean regional) {
    List<Runnable> checks = new ArrayList<>();
    for (Entry entry : entries) {
      ObjectNode fields = fields(entry);
      String project = take(entry, fields, "project");
      String scope = regional ? "regions/" + take(entry, fields, "region") : "global";
      required(entry, fields, "name");
      strict(entry, fields, type.clone());
      String path = "/compute/v1/projects/" + project + "/" + scope + "/" + collection;
      JsonNode operation = call(entry, "POST", path, null, fields);
      String operationPath = "/compute/v1/" + operation.path("selfLink").asText().replaceFirst(".*?/compute/v1/", "");
      String name = "projects/" + project + "/" + scope + "/" + collection + "/" + fields.path("name").asText();
      checks.add(() -> {
        JsonNode done = call(entry, "GET", operationPath, null, null);
        if (!done.path("status").asText().equals("DONE")) {
          throw new SeedException(entry.where() + ": its operation is not done: " + done.path("status").asText());
        }
        if (done.has("error")) {
          throw new SeedException(entry.where() + ": its operation failed: " + done.path("error").path("errors").path(0).path("message").asText());
        }
      });
      applied.add(collection.substring(0, collection.length() - (collection.endsWith("sses") ? 2 : 1)) + " " + name);
    }
    settle(Latencies.Kind.COMPUTE_OPERATION, checks);
  }

  private void connectors(List<Entry> entries) {
    List<Runnable> checks = new ArrayList<>();
    for (Entry entry : entries) {
      ObjectNode fields = fields(entry);
      Matcher name = named(entry, fields, CONNECTOR, "projects/PROJECT/locations/REGION/connectors/ID");
      strict(entry, fields, Connector.newBuilder());
      String path = "/v1/projects/" + name.group(1) + "/locations/" + name.group(2) + "/connectors";
      JsonNode operation = call(entry, "POST", path, "connectorId=" + name.group(3), fields);
      checks.add(() -> checkLongRunning(entry, "/v1/" + operation.path("name").asText()));
      applied.add("connector " + name.group());
    }
    settle(Latencies.Kind.CONNECTOR_CREATE, checks);
  }

  private void runJobs(List<Entry> entries) {
    List<Runnable> checks = new ArrayList<>();
    for (Entry entry : entries) {
      ObjectNode fields = fields(entry);
      Matcher name = named(entry, fields, JOB, "projects/PROJECT/locations/REGION/jobs/ID");
      strict(entry, fields, com.google.cloud.run.v2.Job.newBuilder());
      String path = "/v2/projects/" + name.group(1) + "/locations/" + name.group(2) + "/jobs";
      JsonNode operation = call(entry, "POST", path, "jobId=" + name.group(3), fields);
      checks.add(() -> checkLongRunning(entry, "/v2/" + operation.path("name").asText()));
      applied.add("Cloud Run job " + name.group());
    }
    settle(Latencies.Kind.JOB_MUTATION, checks);
  }

  private void schedulerJobs(List<Entry> entries) {
    for (Entry entry : entries) {
      ObjectNode fields = fields(entry);
      Matcher name = named(entry, fields, JOB, "projects/PROJECT/locations/REGION/jobs/ID");
      fields.put("name", name.group());
      strict(entry, fields, com.google.cloud.scheduler.v1.Job.newBuilder());
      call(entry, "POST", "/v1/projects/" + name.group(1) + "/locations/" + name.group(2) + "/jobs", null, fields);
      applied.add("Cloud Scheduler job " + name.group());
    }
  }

  /** Moves the clock on by the operations' latency, as a tool waits for them, then checks that each one succeeded. */
  private void settle(Latencies.Kind kind, List<Runnable> checks) {
    gcp.clock().advance(gcp.latencies().get(kind).plus(Duration.ofSeconds(1)));
    checks.forEach(Runnable::run);
  }

  private void checkLongRunning(Entry entry, String operationPath) {
    JsonNode operation = call(entry, "GET", operationPath, null, null);
    if (!operation.path("done").asBoolean()) {
      throw new SeedException(entry.where() + ": its operation is not done");
    }
    if (operation.has("error")) {
      throw new SeedException(entry.where() + ": its operation failed: " + operation.path("error").path("message").asText());
    }
  }

  /** One call through the fake's HTTP front, as over the wire; an error answer names the entry. */
  private JsonNode call(Entry entry, String method, String path, String query, ObjectNode body) {
    HttpFront.Answer answer = gcp.front().answer(method, path, query, body == null ? "" : body.toString());
    JsonNode json;
    try {
      json = YAML.readTree(answer.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (answer.status() != 200) {
      throw new SeedException(entry.where() + ": " + method + " " + path + " answered " + answer.status() + ": "
          + json.path("error").path("message").asText(answer.body()));
    }
    return json;
  }

  // ---- fields ----

  private static ObjectNode fields(Entry entry) {
    return ((ObjectNode) entry.value()).deepCopy();
  }

  /** Removes and returns a required string field that places the resource (project, region). */
  private static String take(Entry entry, ObjectNode fields, String field) {
    required(entry, fields, field);
    return fields.remove(field).asText();
  }

  private static void required(Entry entry, ObjectNode fields, String field) {
    JsonNode value = fields.get(field);
    if (value == null || value.isNull()) {
      throw new SeedException(entry.where() + ": field '" + field + "' is missing");
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new SeedException(entry.where() + ": field '" + field + "' must be a non-empty string, got " + value);
    }
  }

  private static void noneLeft(Entry entry, ObjectNode fields) {
    Iterator<String> names = fields.fieldNames();
    if (names.hasNext()) {
      throw new SeedException(entry.where() + ": unknown field '" + names.next() + "'");
    }
  }

  /** Takes the full resource name out of {@code fields}; its parts are the groups of {@code pattern}. */
  private static Matcher named(Entry entry, ObjectNode fields, Pattern pattern, String form) {
    required(entry, fields, "name");
    String value = fields.remove("name").asText();
    Matcher m = pattern.matcher(value);
    if (!m.matches()) {
      throw new SeedException(entry.where() + ": field 'name' must be " + form + ", got '" + value + "'");
    }
    return m;
  }

  /** The fields as the resource's REST JSON; a field the resource does not have is named. */
  private static Message strict(Entry entry, ObjectNode fields, Message.Builder builder) {
    try {
      STRICT.merge(fields.toString(), builder);
      return builder.build();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new SeedException(entry.where() + ": not a " + builder.getDescriptorForType().getName() + ": " + e.getMessage());
    }
  }

  private static void guard(Entry entry, Supplier<?> seed) {
    try {
      seed.get();
    } catch (ApiError e) {
      throw new SeedException(entry.where() + ": " + e.getMessage());
    }
  }
}
