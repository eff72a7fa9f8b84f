; NSIS installer for the PyInstaller onedir bundle (dist\tiktok-desktop).
; Build it with packaging/windows/build_installer.py, which passes the defines below from the
; package (version, app id, names) so nothing is repeated here:
;   makensis /INPUTCHARSET UTF8 /DVERSION=0.1.0 /DVERSION_NUMERIC=0.1.0.0 /DAPP_ID=...
;            /DDISPLAY_NAME=... /DGUI_EXE=TikTokDesktop.exe /DCLI_EXE=tiktok-desktop.exe
;            /DDIST=...\dist\tiktok-desktop /DOUTFILE=...\TikTokDesktop-0.1.0-setup.exe
;            /DICON=...\tiktok-desktop.ico installer.nsi
;
; The user chooses "for all users" (Program Files, needs admin) or "just for me"
; (%LOCALAPPDATA%\Programs, no admin); silent installs take /AllUsers or /CurrentUser.
; NSIS as in qutebrowser, Picard and Electrum; MultiUser.nsh ships with NSIS.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION | VERSION_NUMERIC | APP_ID | DISPLAY_NAME | GUI_EXE | CLI_EXE | DIST | OUTFILE | ICON
  !error "build with packaging/windows/build_installer.py (it passes the /D defines)"
!endif

!define PUBLISHER "${DISPLAY_NAME} contributors"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define SETTINGS_KEY "Software\${APP_ID}"

Name "${DISPLAY_NAME}"
OutFile "${OUTFILE}"
BrandingText "${DISPLAY_NAME} ${VERSION}"

; --- version info of setup.exe (Explorer's Details tab) -------------------------------------
VIProductVersion "${VERSION_NUMERIC}"
VIFileVersion "${VERSION_NUMERIC}"
VIAddVersionKey /LANG=1033 "ProductName" "${DISPLAY_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${DISPLAY_NAME} Setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${PUBLISHER}"

; --- all users or just me -----------------------------------------------------------------
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${DISPLAY_NAME}"
; Remember the mode and folder, so an update installs over the previous copy.
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${SETTINGS_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${SETTINGS_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh
!include x64.nsh

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${DISPLAY_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${DISPLAY_NAME} needs 64-bit Windows."
    Abort
  ${EndIf}
  SetRegView 64  ; the app is 64-bit: its keys belong in the 64-bit registry view
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

Section "!${DISPLAY_NAME}" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An update replaces the whole bundle: files dropped by the new version must not linger.
  RMDir /r "$INSTDIR\_internal"
  File "${DIST}\${GUI_EXE}"
  File "${DIST}\${CLI_EXE}"
  File /r "${DIST}\_internal"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${DISPLAY_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" \
    "$INSTDIR\${GUI_EXE}" 0 SW_SHOWNORMAL "" "Schedule TikTok video posts"

  WriteRegStr SHCTX "${SETTINGS_KEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  ; Add/Remove Programs (Settings > Apps)
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${DISPLAY_NAME}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" \
    '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" \
    '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Desktop shortcut" SecDesktop
  CreateShortCut "$DESKTOP\${DISPLAY_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" \
    "$INSTDIR\${GUI_EXE}" 0 SW_SHOWNORMAL "" "Schedule TikTok video posts"
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The app and a Start menu entry."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A shortcut on the desktop."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "Uninstall"
  ; Only what the installer put there: never RMDir /r "$INSTDIR" itself, which could be a
  ; folder the user picked that holds other files. The user's data (schedule, settings,
  ; logs in %LOCALAPPDATA%\tiktok-desktop) and keyring entries stay, as with any update.
  ; What the app registered for this user must go with it, or Windows would start a
  ; program that is gone: the background service's and wake-up's Task Scheduler tasks
  ; (removed by the app itself, which knows their names and its log) and start at login.
  nsExec::Exec '"$INSTDIR\${CLI_EXE}" service uninstall'
  Pop $0
  DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "${DISPLAY_NAME}"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${DISPLAY_NAME}.lnk"
  Delete "$DESKTOP\${DISPLAY_NAME}.lnk"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
  DeleteRegKey SHCTX "${SETTINGS_KEY}"
SectionEnd
