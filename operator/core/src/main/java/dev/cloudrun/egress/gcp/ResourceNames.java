package dev.cloudrun.egress.gcp;

/**
 * GCP's resource names, built and read here only. Every object the operator touches is named
 * projects/PROJECT/locations/REGION/COLLECTION/ID (Cloud Run, Serverless VPC Access, Cloud
 * Scheduler), projects/PROJECT/regions/REGION/COLLECTION/ID (regional Compute) or
 * projects/PROJECT/global/COLLECTION/ID (global Compute).
 */
public final class ResourceNames {
  private ResourceNames() {}

  /** The parent the location-based APIs list and create in: projects/PROJECT/locations/REGION. */
  public static String location(String project, String region) {
    return "projects/" + project + "/locations/" + region;
  }

  /** An object of a location-based API (Cloud Run, Serverless VPC Access, Cloud Scheduler). */
  public static String inLocation(String project, String region, String collection, String id) {
    return child(location(project, region), collection, id);
  }

  /** A regional Compute object. */
  public static String inRegion(String project, String region, String collection, String id) {
    return "projects/" + project + "/regions/" + region + "/" + collection + "/" + id;
  }

  /** A global Compute object. */
  public static String global(String project, String collection, String id) {
    return "projects/" + project + "/global/" + collection + "/" + id;
  }

  /** A name one level down: PARENT/COLLECTION/ID (a NAT under its router, an execution under its job). */
  public static String child(String parent, String collection, String id) {
    return parent + "/" + collection + "/" + id;
  }

  /** What a name is under: the name without its last COLLECTION/ID. */
  public static String parent(String name) {
    int id = name.lastIndexOf('/');
    int collection = id < 0 ? -1 : name.lastIndexOf('/', id - 1);
    if (!isFull(name) || collection < 0) {
      throw new IllegalArgumentException("not a GCP resource name (projects/...): " + name);
    }
    return name.substring(0, collection);
  }

  /** projects/P/global/operations/ID or projects/P/regions/R/operations/ID, and nothing else. */
  public static boolean isComputeOperation(String name) {
    return name.matches("projects/[^/]+/(global|regions/[^/]+)/operations/[^/]+");
  }

  public static boolean isFull(String name) {
    return name.startsWith("projects/");
  }

  public static String project(String name) {
    return segment(name, 1);
  }

  /** The region (or location) of a regional or location-based name. */
  public static String region(String name) {
    if (isGlobal(name)) {
      throw new IllegalArgumentException("a global name has no region: " + name);
    }
    return segment(name, 3);
  }

  public static boolean isGlobal(String name) {
    return "global".equals(segment(name, 2));
  }

  /** The last segment: the object's own name (of a name, or of a URL Compute answers with). */
  public static String id(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static String segment(String name, int index) {
    String[] segments = name.split("/");
    if (!isFull(name) || segments.length <= index) {
      throw new IllegalArgumentException("not a GCP resource name (projects/...): " + name);
    }
    return segments[index];
  }
}
