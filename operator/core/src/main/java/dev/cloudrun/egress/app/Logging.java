package dev.cloudrun.egress.app;

import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.jul.Log4jBridgeHandler;

/** Chooses the log format and level before the process logs anything (see log4j2.xml), for slf4j and java.util.logging alike. */
public final class Logging {
  public enum Format {
    text,
    json
  }

  static final String FORMAT_PROPERTY = "crej.logFormat";
  static final String LEVEL_PROPERTY = "crej.logLevel";

  private Logging() {}

  public static void configure(Format format, String rootLevel) {
    System.setProperty(FORMAT_PROPERTY, format.name());
    System.setProperty(LEVEL_PROPERTY, rootLevel);
    Configurator.reconfigure();
    // java.util.logging too, at the levels log4j2.xml sets
    Log4jBridgeHandler.install(true, null, true);
  }
}
