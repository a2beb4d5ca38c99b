#include "bench/report.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace messenger::bench {

nlohmann::json Num(double value, int decimals) {
  if (!std::isfinite(value)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  const double rounded = std::round(value * scale) / scale;
  if (decimals == 0) return static_cast<int64_t>(rounded);
  return rounded;
}

Section& Section::Note(std::string text) {
  notes.push_back(std::move(text));
  return *this;
}

Section& Section::Row(std::vector<nlohmann::json> cells) {
  cells.resize(columns.size());
  rows.push_back(std::move(cells));
  return *this;
}

Section& Report::AddSection(std::string id, std::string title, std::vector<std::string> columns) {
  sections_.push_back({std::move(id), std::move(title), {}, std::move(columns), {}});
  return sections_.back();
}

void Report::Fail(const std::string& scenario, const std::string& what) {
  failures_.push_back(absl::StrCat(scenario, ": ", what));
}

nlohmann::json Report::ToJson() const {
  nlohmann::json out = {{"title", title_},
                        {"preamble", preamble_},
                        {"failures", failures_},
                        {"passed", failures_.empty()}};
  for (const Section& s : sections_) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : s.rows) {
      nlohmann::json object = nlohmann::json::object();
      for (size_t i = 0; i < s.columns.size(); ++i) object[s.columns[i]] = row[i];
      rows.push_back(std::move(object));
    }
    out["sections"][s.id] = {{"title", s.title}, {"notes", s.notes}, {"rows", std::move(rows)}};
  }
  return out;
}

namespace {
std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
}  // namespace

std::string Report::ToMarkdown() const {
  std::ostringstream md;
  md << "# " << title_ << "\n\n";
  for (const std::string& p : preamble_) md << p << "\n\n";
  md << "**Result: " << (failures_.empty() ? "PASSED" : "FAILED") << "**\n\n";
  for (const std::string& f : failures_) md << "- FAILED " << f << "\n";
  if (!failures_.empty()) md << "\n";
  for (const Section& s : sections_) {
    md << "## " << s.title << "\n\n";
    for (const std::string& n : s.notes) md << n << "\n\n";
    if (s.rows.empty()) continue;
    md << "|";
    for (const std::string& c : s.columns) md << " " << c << " |";
    md << "\n|";
    for (size_t i = 0; i < s.columns.size(); ++i) md << (i == 0 ? "---|" : "---:|");
    md << "\n";
    for (const auto& row : s.rows) {
      md << "|";
      for (const auto& v : row) md << " " << Cell(v) << " |";
      md << "\n";
    }
    md << "\n";
  }
  return md.str();
}

absl::Status Report::Write(const std::string& prefix) const {
  std::ofstream md(prefix + ".md");
  md << ToMarkdown();
  std::ofstream json(prefix + ".json");
  json << ToJson().dump(2) << "\n";
  if (!md || !json) return absl::InternalError("cannot write " + prefix + ".{md,json}");
  return absl::OkStatus();
}

}  // namespace messenger::bench
