package dev.cloudrun.egress.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The process's log4j2.xml in both formats (tests otherwise log with log4j2-test.xml). */
class LoggingTest {
  private LoggerContext context;

  @AfterEach
  void stop() {
    context.stop();
    System.clearProperty(Logging.FORMAT_PROPERTY);
    System.clearProperty(Logging.LEVEL_PROPERTY);
  }

  private LoggerContext configured(Logging.Format format) throws Exception {
    System.setProperty(Logging.FORMAT_PROPERTY, format.name());
    System.setProperty(Logging.LEVEL_PROPERTY, "INFO"); // local mode, run by other tests, leaves WARN
    context = new LoggerContext("logging-test-" + format, null, Logging.class.getResource("/log4j2.xml").toURI());
    context.start();
    return context;
  }

  /** One event as the console appender writes it. */
  private static String written(LoggerContext context) {
    var event = Log4jLogEvent.newBuilder().setLoggerName("dev.cloudrun.egress.reconciler.Events").setLevel(Level.INFO)
        .setMessage(new SimpleMessage("platform-agents/my-agent-4: Normal CreateStarted")).setTimeMillis(System.currentTimeMillis()).build();
    return new String(context.getConfiguration().getAppender("out").getLayout().toByteArray(event), StandardCharsets.UTF_8);
  }

  @Test
  void jsonIsOneObjectPerLineWithTheFieldsCloudLoggingReads() throws Exception {
    String out = written(configured(Logging.Format.json));
    assertThat(out.lines()).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(out);
    assertThat(line.get("severity").asText()).isEqualTo("INFO");
    assertThat(line.get("message").asText()).isEqualTo("platform-agents/my-agent-4: Normal CreateStarted");
    assertThat(line.get("timestampSeconds").asLong()).isPositive();
    assertThat(line.get("logger").asText()).isEqualTo("dev.cloudrun.egress.reconciler.Events");
  }

  @Test
  void textIsOneLinePerEvent() throws Exception {
    assertThat(written(configured(Logging.Format.text))).endsWith("INFO  [main] d.c.e.r.Events - platform-agents/my-agent-4: Normal CreateStarted\n");
  }

  @Test
  void loggersThatPrintRequestBodiesStayQuietAtInfo() throws Exception {
    LoggerContext configured = configured(Logging.Format.text);
    assertThat(configured.getLogger("dev.cloudrun.egress.reconciler.Events").isInfoEnabled()).isTrue();
    assertThat(configured.getLogger("com.google.api.gax.httpjson.HttpJsonLoggingInterceptor").isInfoEnabled()).isFalse();
    assertThat(configured.getLogger("io.fabric8.kubernetes.client.http.HttpLoggingInterceptor").isInfoEnabled()).isFalse();
  }
}
