package dev.cloudrun.egress.diagnosis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/** The prediction's NO_PROXY matching against curl's documented behaviour (the table the fake's probe is held to as well). */
class ProxySettingsTest {

  @ParameterizedTest(name = "NO_PROXY \"{0}\" for {1}: {2}")
  @CsvFileSource(resources = "/no-proxy-cases.csv", delimiter = '|', numLinesToSkip = 1, ignoreLeadingAndTrailingWhitespace = false)
  void noProxyMatchesAsCurlDoes(String noProxy, String host, boolean bypasses) {
    assertThat(ProxySettings.covers(noProxy, host)).isEqualTo(bypasses);
  }
}
