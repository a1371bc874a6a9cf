package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The process's log4j2.xml in both formats (tests otherwise log with log4j2-test.xml). */
class LoggingTest {

  @AfterEach
  void clearFormat() {
    System.clearProperty(Logging.FORMAT_PROPERTY);
  }

  private static String logWith(Logging.Format format) throws Exception {
    System.setProperty(Logging.FORMAT_PROPERTY, format.name());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    LoggerContext context = new LoggerContext("logging-test-" + format, null, Logging.class.getResource("/log4j2.xml").toURI());
    try {
      context.start(); // the console appender takes System.out now
      context.getLogger("dev.cloudrun.egress.reconciler.Events").info("platform-agents/my-agent-4: Normal CreateStarted");
      context.getLogger("com.google.api.gax.httpjson.HttpJsonLoggingInterceptor").info("request payload");
    } finally {
      context.stop();
      System.setOut(original);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonIsOneObjectPerLineWithTheFieldsCloudLoggingReads() throws Exception {
    String out = logWith(Logging.Format.json);
    assertThat(out.lines()).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(out.lines().findFirst().orElseThrow());
    assertThat(line.get("severity").asText()).isEqualTo("INFO");
    assertThat(line.get("message").asText()).isEqualTo("platform-agents/my-agent-4: Normal CreateStarted");
    assertThat(line.get("timestampSeconds").asLong()).isPositive();
    assertThat(line.get("logger").asText()).isEqualTo("dev.cloudrun.egress.reconciler.Events");
  }

  @Test
  void textIsOneLinePerEventAndRequestLoggingStaysOff() throws Exception {
    String out = logWith(Logging.Format.text);
    assertThat(out.lines()).singleElement().asString()
        .contains("INFO", "d.c.e.r.Events - platform-agents/my-agent-4: Normal CreateStarted");
  }
}
