// Checks as the applicant types (the server checks everything again): NIK digits, the request
// number's shape, required fields, the size of a chosen file. Texts in Bahasa Indonesia.
(function () {
  "use strict";
  var form = document.getElementById("formulir");
  if (!form) { return; }
  var pattern = new RegExp("^(?:" + form.dataset.requestPattern + ")$", "i");
  var maxBytes = parseFloat(form.dataset.maxMb) * 1024 * 1024;
  function say(name, text) {
    var hint = document.getElementById("e-" + name);
    if (hint) { hint.textContent = text; }
  }
  var checks = {
    "applicant.nik": function (v) {
      if (!v) { return "NIK wajib diisi."; }
      if (!/^[0-9]{16}$/.test(v)) { return "NIK harus 16 angka (sekarang " + v.replace(/\D/g, "").length + " angka)."; }
      var day = parseInt(v.slice(6, 8), 10), month = parseInt(v.slice(8, 10), 10);
      if (day > 40) { day -= 40; }
      if (day < 1 || day > 31 || month < 1 || month > 12) { return "Bagian tanggal lahir pada NIK tidak berlaku."; }
      if (v.slice(12) === "0000") { return "Nomor urut NIK tidak berlaku."; }
      return "";
    },
    "request_number": function (v) {
      if (!v) { return "Nomor pendaftaran permohonan wajib diisi."; }
      return pattern.test(v) ? "" : "Format tidak sesuai, contoh: " + form.dataset.requestExample + ".";
    },
    "applicant.name": function (v) { return v ? "" : "Nama pemohon wajib diisi."; },
    "applicant.address": function (v) { return v ? "" : "Alamat wajib diisi."; },
    "purpose": function (v) { return v ? "" : "Tujuan penggunaan informasi wajib diisi."; },
    "applicant.email": function (v) { return !v || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? "" : "Alamat e-mail tidak sesuai format."; }
  };
  Object.keys(checks).forEach(function (name) {
    var input = form.elements[name];
    if (!input) { return; }
    input.addEventListener("blur", function () { say(name, checks[name](input.value.trim())); });
  });
  ["ktp", "surat_kuasa"].forEach(function (name) {
    var input = form.elements[name];
    input.addEventListener("change", function () {
      var file = input.files[0];
      say(name, file && file.size > maxBytes ? "Berkas lebih besar dari " + form.dataset.maxMb + " MB." : "");
    });
  });
})();
