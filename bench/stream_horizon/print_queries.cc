// Prints kSyncRows and kStreamHorizon of the queries.h it is built against.
#include <cstdio>

#include "messaging-service/src/storage/queries.h"

int main() {
  std::printf("%s\n%s\n", messenger::messaging::queries::kSyncRows.sql,
              messenger::messaging::queries::kStreamHorizon.sql);
}
