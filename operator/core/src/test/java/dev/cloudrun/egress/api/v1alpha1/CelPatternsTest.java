package dev.cloudrun.egress.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.LongPredicate;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory patterns the CRD's rules compare sizes with (standard CEL has no quantity()), checked
 * against arithmetic on every size written in Mi up to 40,000 and in Gi up to 200, and a few larger.
 */
class CelPatternsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "MEMORY_AT_LEAST_2GI, AT_LEAST_2GI",
      "MEMORY_AT_LEAST_4GI, AT_LEAST_4GI",
      "MEMORY_512MI_TO_32GI, FROM_512MI_TO_32GI",
      "MEMORY_MORE_THAN_4GI, MORE_THAN_4GI",
      "MEMORY_MORE_THAN_8GI, MORE_THAN_8GI",
      "MEMORY_MORE_THAN_16GI, MORE_THAN_16GI",
      "MEMORY_MORE_THAN_24GI, MORE_THAN_24GI"})
  void aMemoryPatternMatchesExactlyTheSizesItNames(String field, Size size) throws ReflectiveOperationException {
    Pattern pattern = Pattern.compile((String) CelPatterns.class.getDeclaredField(field).get(null));
    Pattern format = Pattern.compile(CelPatterns.MEMORY);
    LongStream mebibytes = LongStream.concat(LongStream.rangeClosed(1, 40_000), LongStream.of(65_535, 99_999, 100_000, 123_456, 1_048_576));
    mebibytes.forEach(mi -> {
      String written = mi + "Mi";
      assertThat(format.matcher(written).matches()).isTrue();
      assertThat(pattern.matcher(written).matches()).as(written).isEqualTo(size.holds.test(mi));
    });
    LongStream.rangeClosed(1, 200).forEach(gi -> {
      String written = gi + "Gi";
      assertThat(pattern.matcher(written).matches()).as(written).isEqualTo(size.holds.test(gi * 1024));
    });
    for (String malformed : new String[] {"0Mi", "0512Mi", "04Gi", "512MB", "2G", "32gi", "", "Gi"}) {
      assertThat(pattern.matcher(malformed).matches()).as(malformed).isFalse();
    }
  }

  /** Each pattern's meaning, in MiB. */
  enum Size {
    AT_LEAST_2GI(mi -> mi >= 2048),
    AT_LEAST_4GI(mi -> mi >= 4096),
    FROM_512MI_TO_32GI(mi -> mi >= 512 && mi <= 32 * 1024),
    MORE_THAN_4GI(mi -> mi > 4096),
    MORE_THAN_8GI(mi -> mi > 8192),
    MORE_THAN_16GI(mi -> mi > 16384),
    MORE_THAN_24GI(mi -> mi > 24576);

    final LongPredicate holds;

    Size(LongPredicate holds) {
      this.holds = holds;
    }
  }
}
