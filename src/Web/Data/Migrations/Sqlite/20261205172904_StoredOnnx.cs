using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TransferHub.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StoredOnnx : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OnnxArtifactKey",
                table: "ModelVersions",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OnnxCheck",
                table: "ModelVersions",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OnnxSha256",
                table: "ModelVersions",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "OnnxArtifactKey",
                table: "ModelVersions");

            migrationBuilder.DropColumn(
                name: "OnnxCheck",
                table: "ModelVersions");

            migrationBuilder.DropColumn(
                name: "OnnxSha256",
                table: "ModelVersions");
        }
    }
}
