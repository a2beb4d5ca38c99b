// GET /verify-email?token=…: the link of the verification mail. A GET spends
// nothing (mail scanners fetch links): it shows a page whose button POSTs the
// token back, and the POST verifies and shows the outcome. With
// MESSENGER_WEB_APP_URL set, the GET redirects to the web app instead.
#include <cctype>
#include <string>

#include "common/status_mapping.h"
#include "gateway/src/gateway.h"
#include "gateway/src/routes/auth_routes.h"

namespace messenger::gateway {
namespace {

constexpr size_t kMaxToken = 256;

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A small self-contained page: no scripts, forms only to this origin, never
// cached, and the token in the address is not sent on as a referrer.
http::Response Page(int status, std::string_view title, std::string_view body_html) {
  http::Response r;
  r.status = status;
  r.body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      HtmlEscape(title) +
      "</title>"
      "<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;"
      "padding:0 1em}button{font-size:1.1em;padding:.5em 1.2em}</style></head><body>"
      "<h1>" +
      HtmlEscape(title) + "</h1>" + std::string(body_html) + "</body></html>\n";
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Referrer-Policy", "no-referrer");
  r.SetHeader("X-Content-Type-Options", "nosniff");
  r.SetHeader("Content-Security-Policy",
              "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
              "frame-ancestors 'none'");
  return r;
}

http::Response ErrorPage(const absl::Status& status) {
  const int code = HttpStatusFor(status.code());
  http::Response r;
  if (code == 400) {
    r = Page(400, "This link does not work",
             "<p>The link is unknown, already used or expired. Ask the app for a new "
             "verification mail.</p>");
  } else if (code == 429) {
    r = Page(429, "Please wait a moment", "<p>Too many attempts. Try again shortly.</p>");
    r.SetHeader("Retry-After", std::to_string(RetryAfterSeconds(status)));
  } else {
    r = Page(code >= 500 ? code : 400, "Something went wrong",
             "<p>Your address could not be confirmed right now. Try again later.</p>");
  }
  return r;
}

std::optional<std::string> TokenOf(std::optional<std::string> raw) {
  if (!raw || raw->empty() || raw->size() > kMaxToken) return std::nullopt;
  return raw;
}

}  // namespace

void AddVerifyEmailPage(Gateway& gw) {
  gw.Route("GET", "/verify-email", false, [&gw](RouteContext& c) -> absl::StatusOr<http::Response> {
    std::optional<std::string> token = TokenOf(c.request.QueryParam("token"));
    if (!token) return ErrorPage(absl::InvalidArgumentError("no token"));
    const std::string& web_app = gw.config().web_app_url;
    if (!web_app.empty()) {
      http::Response r = http::Response::Empty(303);
      r.SetHeader("Location", web_app + "/verify-email?token=" + UrlEncode(*token));
      r.SetHeader("Cache-Control", "no-store");
      r.SetHeader("Referrer-Policy", "no-referrer");
      return r;
    }
    return Page(200, "Confirm your email address",
                "<p>Press the button to confirm that this address is yours.</p>"
                "<form method=\"post\" action=\"/verify-email\">"
                "<input type=\"hidden\" name=\"token\" value=\"" +
                    HtmlEscape(*token) +
                    "\">"
                    "<button type=\"submit\">Confirm my email address</button></form>");
  });

  // The form's POST (application/x-www-form-urlencoded: token=…).
  gw.RouteAsync("POST", "/verify-email", false, [&gw](RouteContext& c, AsyncDone done) {
    if (absl::Status limited = gw.auth_limits().TakeForClient(c.request); !limited.ok()) {
      return done(ErrorPage(limited));
    }
    http::Request form;
    form.query = c.request.body;  // the same encoding as a query string
    std::optional<std::string> token = TokenOf(form.QueryParam("token"));
    if (!token) return done(ErrorPage(absl::InvalidArgumentError("no token")));
    VerifyEmailToken(
        gw, *token,
        [done = std::move(done)](absl::StatusOr<http::Response> answer) {
          done(answer.ok() ? std::move(*answer) : ErrorPage(answer.status()));
        },
        [] {
          return Page(200, "Email address confirmed",
                      "<p>Thank you. You can close this page and sign in.</p>");
        });
  });
}

}  // namespace messenger::gateway
