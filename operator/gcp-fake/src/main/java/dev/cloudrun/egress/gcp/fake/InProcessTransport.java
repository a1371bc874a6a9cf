package dev.cloudrun.egress.gcp.fake;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A google-http-client transport that hands each request to the fake in the calling thread, as
 * the HTTP server would receive it, without a socket: the official clients, their JSON and the
 * fake's routes, accounting and faults are the same, only the loopback hop is gone. For tests
 * that make hundreds of thousands of calls ({@link FakeGcp#transport}).
 */
final class InProcessTransport extends HttpTransport {
  private final HttpFront front;

  InProcessTransport(HttpFront front) {
    this.front = front;
  }

  @Override
  protected LowLevelHttpRequest buildRequest(String method, String url) {
    return new LowLevelHttpRequest() {
      private String methodOverride;

      @Override
      public void addHeader(String name, String value) {
        if (name.equalsIgnoreCase("X-HTTP-Method-Override")) {
          methodOverride = value;
        }
      }

      @Override
      public LowLevelHttpResponse execute() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (getStreamingContent() != null) {
          getStreamingContent().writeTo(body);
        }
        URI uri = URI.create(url);
        HttpFront.Answer answer = front.answer(methodOverride != null ? methodOverride : method, uri.getPath(), uri.getRawQuery(),
            body.toString(StandardCharsets.UTF_8), getContentType(), uri.getHost());
        return new Response(answer);
      }
    };
  }

  private static final class Response extends LowLevelHttpResponse {
    private final HttpFront.Answer answer;

    Response(HttpFront.Answer answer) {
      this.answer = answer;
    }

    @Override
    public InputStream getContent() {
      return new ByteArrayInputStream(answer.body().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String getContentEncoding() {
      return null;
    }

    @Override
    public long getContentLength() {
      return answer.body().getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public String getContentType() {
      return answer.contentType();
    }

    @Override
    public String getStatusLine() {
      return "HTTP/1.1 " + answer.status();
    }

    @Override
    public int getStatusCode() {
      return answer.status();
    }

    @Override
    public String getReasonPhrase() {
      return answer.status() == 200 ? "OK" : "Error";
    }

    @Override
    public int getHeaderCount() {
      return 0;
    }

    @Override
    public String getHeaderName(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    @Override
    public String getHeaderValue(int index) {
      throw new IndexOutOfBoundsException(index);
    }
  }
}
