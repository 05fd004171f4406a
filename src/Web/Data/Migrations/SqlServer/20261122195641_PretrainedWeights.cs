using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TransferHub.Web.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class PretrainedWeights : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PretrainedWeights",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uniqueidentifier", nullable: false),
                    Name = table.Column<string>(type: "nvarchar(200)", maxLength: 200, nullable: false),
                    Architecture = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    NumClasses = table.Column<int>(type: "int", nullable: false),
                    Tensors = table.Column<int>(type: "int", nullable: false),
                    Parameters = table.Column<long>(type: "bigint", nullable: false),
                    Sha256 = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    SizeBytes = table.Column<long>(type: "bigint", nullable: false),
                    OriginalFormat = table.Column<string>(type: "nvarchar(16)", maxLength: 16, nullable: false),
                    ImportedById = table.Column<string>(type: "nvarchar(450)", maxLength: 450, nullable: false),
                    ImportedAt = table.Column<DateTimeOffset>(type: "datetimeoffset", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PretrainedWeights", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PretrainedWeights_Sha256",
                table: "PretrainedWeights",
                column: "Sha256");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PretrainedWeights");
        }
    }
}
