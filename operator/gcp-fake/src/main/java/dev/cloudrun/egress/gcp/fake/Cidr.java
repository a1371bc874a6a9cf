package dev.cloudrun.egress.gcp.fake;

/** An IPv4 range such as 10.8.0.0/28. */
record Cidr(long address, int prefix) {

  static Cidr parse(String text) {
    String[] parts = text.split("/");
    String[] octets = parts[0].split("\\.");
    if (parts.length != 2 || octets.length != 4) {
      throw ApiError.invalid("Invalid IPv4 CIDR range: '" + text + "'");
    }
    try {
      long address = 0;
      for (String octet : octets) {
        int value = Integer.parseInt(octet);
        if (value < 0 || value > 255) {
          throw new NumberFormatException(octet);
        }
        address = address << 8 | value;
      }
      int prefix = Integer.parseInt(parts[1]);
      if (prefix < 0 || prefix > 32) {
        throw new NumberFormatException(parts[1]);
      }
      return new Cidr(address, prefix);
    } catch (NumberFormatException e) {
      throw ApiError.invalid("Invalid IPv4 CIDR range: '" + text + "'");
    }
  }

  long first() {
    return address & ~(size() - 1) & 0xFFFFFFFFL;
  }

  long last() {
    return first() + size() - 1;
  }

  long size() {
    return 1L << (32 - prefix);
  }

  /** True when no host bits are set (10.8.0.0/28, not 10.8.0.1/28). */
  boolean isNetworkAddress() {
    return address == first();
  }

  boolean overlaps(Cidr other) {
    return first() <= other.last() && other.first() <= last();
  }

  static String format(long address) {
    return (address >> 24 & 255) + "." + (address >> 16 & 255) + "." + (address >> 8 & 255) + "." + (address & 255);
  }

  @Override
  public String toString() {
    return format(address) + "/" + prefix;
  }
}
