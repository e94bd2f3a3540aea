# Run by the web_npm target at every build (cmake -P): `npm ci` when web/node_modules is missing or older than
# package-lock.json (npm's own record of the install, node_modules/.package-lock.json, is the age), from npm's
# cache when it has the packages (the first install needs the network). NPM_STAMP is touched when it ran, so
# the dashboard is built again; the dashboard's stamp is dropped when its dist/index.html has gone.
# -DNPM= -DWEB= -DNPM_STAMP= -DDASHBOARD_STAMP=
set(record "${WEB}/node_modules/.package-lock.json")
if(NOT EXISTS "${record}" OR "${WEB}/package-lock.json" IS_NEWER_THAN "${record}")
  message(STATUS "web: npm ci (web/node_modules is missing or older than web/package-lock.json)")
  execute_process(COMMAND "${NPM}" ci --prefer-offline --no-audit --no-fund WORKING_DIRECTORY "${WEB}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "web: npm ci failed (exit ${rc}); the first install needs the network (registry.npmjs.org), "
                        "later ones npm's cache; configure with -DTB_WEB=OFF to build without the web parts")
  endif()
  file(TOUCH "${NPM_STAMP}")
elseif(NOT EXISTS "${NPM_STAMP}")
  file(TOUCH "${NPM_STAMP}")
endif()
if(EXISTS "${WEB}/dashboard/build.mjs" AND NOT EXISTS "${WEB}/dashboard/dist/index.html")
  file(REMOVE "${DASHBOARD_STAMP}")
endif()
