// Matrix identifiers: shared with contact-service, so they live in common/.
#pragma once

#include "common/matrix_ids.h"
